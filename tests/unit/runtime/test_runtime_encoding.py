"""run() results to JSON: plain values as json.dumps, numpy and pandas converted."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from basin.runtime.encoding import dumps


@pytest.mark.parametrize("value", [{"a": [1, 2.5, None, "x"]}, [], "s", 3, None, True])
def test_plain_values_match_json_dumps(value) -> None:
    assert dumps(value) == json.dumps(value).encode()


def test_numpy_values() -> None:
    value = {
        "array": np.array([[1, 2], [3, 4]], dtype=np.int64),
        "f32": np.float32(0.5),
        "i64": np.int64(7),
        "bool": np.bool_(True),
    }
    assert json.loads(dumps(value)) == {
        "array": [[1, 2], [3, 4]],
        "f32": 0.5,
        "i64": 7,
        "bool": True,
    }


def test_pandas_values() -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    assert json.loads(dumps(frame)) == [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]
    assert json.loads(dumps(pd.Series([1.5, 2.5]))) == [1.5, 2.5]
    assert json.loads(dumps(pd.Timestamp("2024-01-02T03:04:05"))) == "2024-01-02T03:04:05"
    assert json.loads(dumps(pd.NaT)) is None


def test_datetimes() -> None:
    assert json.loads(dumps(dt.date(2024, 1, 2))) == "2024-01-02"


@pytest.mark.parametrize("value", [b"bytes", {1, 2}, object()])
def test_other_types_still_fail(value) -> None:
    with pytest.raises(TypeError):
        dumps(value)
