"""RequestRecord.to_json_line writes what json.dumps writes, for every kind of value; the
gateway's request log writes records as JSON lines, held and written together."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from basin.gateway.cli import _appended_lines, _json_lines
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


def test_the_request_log_holds_records_and_writes_them_together(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    sink, close = _appended_lines(str(path))

    async def serve() -> str:
        for status in (200, 424, 503):
            sink(_record(status=status))
        held = path.read_text()  # nothing written while the requests run
        await asyncio.sleep(0.2)
        return held

    assert asyncio.run(serve()) == ""
    assert [json.loads(line)["status"] for line in path.read_text().splitlines()] == [200, 424, 503]
    sink(_record(status=201))  # off an event loop (no timer to wait for): written at once
    assert json.loads(path.read_text().splitlines()[-1])["status"] == 201
    close()


def test_records_still_held_are_written_when_the_log_closes(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    sink, close = _appended_lines(str(path))

    async def serve() -> None:
        sink(_record(status=200))
        close()  # the gateway stops before the timer fires

    asyncio.run(serve())
    assert [json.loads(line)["status"] for line in path.read_text().splitlines()] == [200]


def test_the_request_log_on_stdout_is_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    sink, flush = _json_lines(sys.stdout)

    async def serve() -> None:
        sink(_record(status=200))
        sink(_record(status=404))
        flush()

    asyncio.run(serve())
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["status"] for line in lines] == [200, 404]
