"""Server-side SVG charts from the metrics API's points."""

from __future__ import annotations

import re
from typing import Any

from basin.studio.charts import Chart, Line, charts_for, render


def _point(minute: int, requests: int, p50: float | None, replicas: int = 1) -> dict[str, Any]:
    return {
        "time": f"2024-05-01T12:{minute:02d}:00Z",
        "requests": requests,
        "requests_per_second": requests / 10,
        "latency_ms": {"p50": p50, "p95": p50, "p99": p50},
        "status_codes": {"2xx": requests} if requests else {},
        "replicas": replicas,
    }


def test_points_with_data_are_marked_and_gaps_break_the_line() -> None:
    metrics = {
        "points": [_point(0, 0, None), _point(1, 5, 2.0), _point(2, 0, None), _point(3, 8, 3.5)]
    }
    requests, latency, status, replicas = charts_for(metrics)
    svg = render(latency)
    assert 'data-points="2"' in svg
    assert svg.count("<polyline") == 6  # p50, p95, p99, each in two pieces around the gap
    assert svg.count("<circle") == 6
    assert 'role="img"' in svg and '<title id="chart-latency-title">Latency (ms)</title>' in svg
    assert "latest: p50 3.5 ms" in svg
    assert 'data-points="2"' in render(requests) and 'data-points="2"' in render(status)
    assert "<circle" not in render(replicas)  # a count of replicas is a plain line
    ticks = re.findall(r'class="tick"[^>]*>([^<]+)<', str(render(requests)))
    assert ticks[-3:] == ["12:00", "12:02", "12:03"]  # first, middle and last times


def test_labels_are_escaped_and_an_empty_chart_renders() -> None:
    chart = Chart("c", "<b>x</b>", "ms", [], [Line("<i>", [], "series-1")])
    svg = str(render(chart))
    assert "<b>" not in svg and "&lt;b&gt;x&lt;/b&gt;" in svg
    assert 'data-points="0"' in svg and "no data" in svg
