"""Prometheus text rendering."""

from __future__ import annotations

from dataclasses import dataclass, field

from basin.gateway.metrics import BUCKETS, GatewayMetrics


@dataclass
class _Live:
    endpoint: str
    name: str
    in_flight: int
    replicas: list[str] = field(default_factory=list)


def test_counters_histograms_and_gauges() -> None:
    metrics = GatewayMetrics()
    series = metrics.series("ep", "blue")
    assert metrics.series("ep", "blue") is series
    series.observe(200, 0.0004, 0.0003)
    series.observe(200, 0.003, 0.002)
    series.observe(424, 100.0, 99.0)
    series.observe_mirror(500)
    metrics.series("ep", "").observe(401, 0.0001, None)
    text = metrics.render([_Live("ep", "blue", 3, ["a", "b"])]).decode()
    lines = text.splitlines()
    assert 'basin_gateway_requests_total{endpoint="ep",deployment="blue",status="200"} 2' in lines
    assert 'basin_gateway_requests_total{endpoint="ep",deployment="blue",status="424"} 1' in lines
    assert 'basin_gateway_requests_total{endpoint="ep",deployment="",status="401"} 1' in lines
    assert (
        'basin_gateway_mirrored_requests_total{endpoint="ep",deployment="blue",status="500"} 1'
        in lines
    )
    bucket = 'basin_gateway_request_duration_seconds_bucket{endpoint="ep",deployment="blue",le='
    assert f'{bucket}"0.0005"}} 1' in lines
    assert f'{bucket}"0.005"}} 2' in lines
    assert f'{bucket}"60.0"}} 2' in lines
    assert f'{bucket}"180.0"}} 3' in lines
    assert f'{bucket}"+Inf"}} 3' in lines
    assert sum(1 for line in lines if line.startswith(bucket)) == len(BUCKETS) + 1
    assert (
        'basin_gateway_upstream_duration_seconds_count{endpoint="ep",deployment="blue"} 3' in lines
    )
    # a refused request has no upstream part
    assert 'basin_gateway_upstream_duration_seconds_count{endpoint="ep",deployment=""}' not in text
    assert 'basin_gateway_in_flight_requests{endpoint="ep",deployment="blue"} 3' in lines
    assert 'basin_gateway_ready_replicas{endpoint="ep",deployment="blue"} 2' in lines
    assert text.count("# TYPE") == 6
    assert text.endswith("\n")


def test_label_values_are_escaped() -> None:
    metrics = GatewayMetrics()
    metrics.series('e"p\\', "x\ny").observe(200, 0.1, None)
    text = metrics.render().decode()
    assert 'endpoint="e\\"p\\\\",deployment="x\\ny"' in text
