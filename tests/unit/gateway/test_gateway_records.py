"""RequestRecord.to_json_line writes what json.dumps writes, for every kind of value."""

from __future__ import annotations

import json

import pytest

from basin.gateway.records import RequestRecord


def _record(**changes: object) -> RequestRecord:
    fields: dict[str, object] = {
        "time": 1733370000.123456,
        "endpoint": "my-endpoint",
        "deployment": "blue",
        "method": "POST",
        "path": "/score",
        "status": 200,
        "model_status": 200,
        "duration_ms": 0.213,
        "upstream_ms": 0.101,
        "request_id": "7c9c2e7f-8d7a-4c84-b54c-6af84321b045",
        "client_request_id": None,
        "request_bytes": 17,
        "response_bytes": 2,
        "reason": None,
        "mirror": False,
    }
    fields.update(changes)
    return RequestRecord(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"deployment": None, "model_status": None, "upstream_ms": None, "status": 404},
        {"path": '/a "quoted" \\ back\tslash\n', "reason": "no_endpoint", "mirror": True},
        {"path": "/caf\u00e9/\u2603/\x00\x1f", "client_request_id": "client-\u00e9"},
        {"time": 1e-7, "duration_ms": 12345678.9, "request_bytes": 10**12, "status": 424},
    ],
)
def test_the_line_is_json_dumps_of_the_dict(changes: dict[str, object]) -> None:
    record = _record(**changes)
    line = record.to_json_line()
    assert line == json.dumps(record.to_dict()).encode() + b"\n"
    assert json.loads(line) == record.to_dict()
