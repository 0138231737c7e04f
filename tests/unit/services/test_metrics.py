"""The metrics API's aggregation over a monitoring sink (files written as the server writes them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from basin.errors import ValidationError
from basin.services import metrics as metrics_module
from basin.services.metrics import SinkMetrics, parse_window, replica_line, replicas_path

NOW = 1_700_000_000.0  # a multiple of 10 s, so cells line up with the numbers below


def _record(at: float, status: int = 200, ms: float = 10.0, **extra: Any) -> str:
    data = {
        "time": at,
        "endpoint": "ep",
        "deployment": "blue",
        "method": "POST",
        "path": "/score",
        "status": status,
        "model_status": status,
        "duration_ms": ms,
        "upstream_ms": ms,
        "request_id": "r",
        "client_request_id": None,
        "request_bytes": 2,
        "response_bytes": 2,
        "reason": None,
        "mirror": False,
    }
    data.update(extra)
    return json.dumps(data) + "\n"


def _append(path: Path, *lines: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        handle.writelines(lines)


def test_windows_are_checked_with_the_choices() -> None:
    assert parse_window("15m") == (900, 10)
    assert parse_window(" 1H ") == (3600, 30)
    with pytest.raises(ValidationError, match="one of 15m, 1h, 24h; got '2d'"):
        parse_window("2d")


def test_points_count_rate_percentiles_and_status_classes(tmp_path: Path) -> None:
    sink = tmp_path / "requests.jsonl"
    # 100 requests in the cell [NOW-20, NOW-10): latencies 1..100 ms, five of them 500s.
    _append(
        sink,
        *(_record(NOW - 20 + i * 0.05, 500 if i < 5 else 200, float(i + 1)) for i in range(100)),
    )
    result = SinkMetrics().query(sink, "ep", window="15m", now=NOW)
    assert len(result["points"]) == 90 and result["interval_seconds"] == 10
    busy = [p for p in result["points"] if p["requests"]]
    assert len(busy) == 1
    point = busy[0]
    assert point["requests"] == 100 and point["requests_per_second"] == 10.0
    assert point["status_codes"] == {"2xx": 95, "5xx": 5}
    # log-spaced bins: within 2.5% of the exact percentiles (50, 95, 99 ms)
    for name, exact in (("p50", 50), ("p95", 95), ("p99", 99)):
        assert abs(point["latency_ms"][name] - exact) / exact < 0.026, (name, point)
    total = result["total"]
    assert total["requests"] == 100 and total["status_codes"] == {"200": 95, "500": 5}
    idle = result["points"][0]
    assert idle["requests"] == 0 and idle["latency_ms"] == {"p50": None, "p95": None, "p99": None}


def test_reads_only_new_lines_and_waits_for_a_line_being_written(tmp_path: Path) -> None:
    sink = tmp_path / "requests.jsonl"
    reader = SinkMetrics()
    assert reader.query(sink, "ep", now=NOW)["total"]["requests"] == 0  # no file yet
    _append(sink, _record(NOW - 5))
    assert reader.query(sink, "ep", now=NOW)["total"]["requests"] == 1
    half = _record(NOW - 4)
    _append(sink, _record(NOW - 4.5), half[:20])
    assert reader.query(sink, "ep", now=NOW)["total"]["requests"] == 2
    _append(sink, half[20:])
    assert reader.query(sink, "ep", now=NOW)["total"]["requests"] == 3
    _append(sink, "not json\n", '{"time": "x"}\n')  # never fails the reader
    assert reader.query(sink, "ep", now=NOW)["total"]["requests"] == 3


def test_endpoint_leaves_mirrored_copies_out_a_deployment_counts_them(tmp_path: Path) -> None:
    sink = tmp_path / "requests.jsonl"
    _append(
        sink,
        _record(NOW - 5, deployment="blue"),
        _record(NOW - 5, deployment="green", mirror=True),
        _record(NOW - 5, 404, deployment=None, reason="no_deployment"),
        _record(NOW - 5, endpoint="other"),
    )
    reader = SinkMetrics()
    assert reader.query(sink, "ep", now=NOW)["total"]["requests"] == 2
    assert reader.query(sink, "ep", deployment="green", now=NOW)["total"]["requests"] == 1
    assert reader.query(sink, "ep", deployment="blue", now=NOW)["total"]["requests"] == 1


def test_windows_and_old_records(tmp_path: Path) -> None:
    sink = tmp_path / "requests.jsonl"
    _append(sink, _record(NOW - 90_000), _record(NOW - 3000), _record(NOW - 600), _record(NOW - 5))
    reader = SinkMetrics()
    assert reader.query(sink, "ep", window="15m", now=NOW)["total"]["requests"] == 2
    hour = reader.query(sink, "ep", window="1h", now=NOW)
    assert hour["total"]["requests"] == 3 and len(hour["points"]) == 120
    day = reader.query(sink, "ep", window="24h", now=NOW)
    assert day["total"]["requests"] == 3 and len(day["points"]) == 144  # a day and more is gone


def test_replicas_step_per_deployment_and_sum_per_endpoint(tmp_path: Path) -> None:
    sink = tmp_path / "requests.jsonl"
    _append(
        replicas_path(sink),
        replica_line(NOW - 2000, "ep", "blue", 1, 1) + "\n",
        replica_line(NOW - 300, "ep", "green", 2, 2) + "\n",
        replica_line(NOW - 100, "ep", "blue", 0, 1) + "\n",
        replica_line(NOW - 50, "other", "blue", 5, 5) + "\n",
    )
    result = SinkMetrics().query(sink, "ep", window="15m", now=NOW)
    replicas = [p["replicas"] for p in result["points"]]
    assert replicas[0] == 1  # blue was up before the window began
    assert replicas[-1] == 2 and result["total"]["replicas"] == 2  # blue down, green 2
    assert max(replicas) == 3
    blue = SinkMetrics().query(sink, "ep", deployment="blue", window="15m", now=NOW)
    assert blue["total"]["replicas"] == 0


def test_a_large_sink_is_entered_near_the_window_not_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(metrics_module, "_CHUNK", 4096)  # "large" is a few chunks here
    sink = tmp_path / "requests.jsonl"
    _append(sink, *(_record(NOW - 200_000 + i) for i in range(2000)))  # days old
    _append(sink, *(_record(NOW - 100 + i * 0.1) for i in range(50)))
    start = metrics_module._offset_at(sink, NOW - 90_000, sink.stat().st_size)
    assert start > sink.stat().st_size // 2  # the old part is skipped
    assert SinkMetrics().query(sink, "ep", now=NOW)["total"]["requests"] == 50
