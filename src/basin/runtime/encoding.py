"""JSON encoding of ``run()`` results, numpy and pandas values included.

azmlinfsrv answers ``json.dumps(result)``; the same call is made here (same bytes for plain
values) with a ``default`` hook that turns numpy arrays and scalars, pandas frames, series and
timestamps, and datetimes into JSON, so a ``run()`` that returns ``model.predict(x)`` works as is.
numpy and pandas are never imported here: values are recognised by their type's module.
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any

__all__ = ["dumps", "to_jsonable"]


def to_jsonable(value: Any) -> Any:
    """Turn one value ``json`` cannot encode into one it can, or raise ``TypeError``."""
    module = type(value).__module__
    if module.startswith(("numpy", "pandas")):
        to_dict = getattr(value, "to_dict", None)
        if to_dict is not None and hasattr(value, "columns"):
            # A DataFrame: a list of row objects, the shape inference-schema uses ("records").
            return to_dict(orient="records")
        isoformat = getattr(value, "isoformat", None)
        if isoformat is not None:  # pandas Timestamp (NaT has an isoformat giving "NaT")
            return None if value != value else isoformat()
        tolist = getattr(value, "tolist", None)
        if tolist is not None:  # ndarray, numpy scalar, Series, Index
            return tolist()
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# One encoder for the process: ``json.dumps(value, default=...)`` would build a new one per call.
_ENCODER = json.JSONEncoder(default=to_jsonable)


def dumps(value: Any) -> bytes:
    """``json.dumps(value)`` as UTF-8 bytes, with numpy/pandas support."""
    return _ENCODER.encode(value).encode()
