"""Prometheus metrics of the gateway, rendered in the text exposition format (0.0.4).

One :class:`Series` per (endpoint, deployment) holds the request counts by status and the latency
histograms; the request path bumps plain ints on an object it already holds, so metrics cost no
lookups. Requests for endpoints the table does not know share the series ``endpoint=""`` (so that
random URLs cannot grow the label set). In-flight and ready-replica gauges are read from the live
deployment state when ``/metrics`` is scraped.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sized
from typing import Final, Protocol

__all__ = ["BUCKETS", "CONTENT_TYPE", "GatewayMetrics", "Series"]

CONTENT_TYPE: Final = b"text/plain; version=0.0.4; charset=utf-8"
# Seconds; scoring answers range from sub-millisecond echoes to the 180 s request timeout cap.
BUCKETS: Final = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    180.0,
)


class Histogram:
    __slots__ = ("counts", "total")

    def __init__(self) -> None:
        self.counts = [0] * (len(BUCKETS) + 1)  # the last slot is +Inf
        self.total = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect_left(BUCKETS, seconds)] += 1
        self.total += seconds


class Series:
    """Counters of one (endpoint, deployment) pair."""

    __slots__ = ("deployment", "duration", "endpoint", "mirrored", "statuses", "upstream")

    def __init__(self, endpoint: str, deployment: str) -> None:
        self.endpoint = endpoint
        self.deployment = deployment
        self.statuses: dict[int, int] = {}
        self.mirrored: dict[int, int] = {}
        self.duration = Histogram()  # whole request, as the client saw it
        self.upstream = Histogram()  # the replica's part of it

    def observe(self, status: int, seconds: float, upstream_seconds: float | None) -> None:
        statuses = self.statuses
        statuses[status] = statuses.get(status, 0) + 1
        self.duration.observe(seconds)
        if upstream_seconds is not None:
            self.upstream.observe(upstream_seconds)

    def observe_mirror(self, status: int) -> None:
        self.mirrored[status] = self.mirrored.get(status, 0) + 1


class LiveDeployment(Protocol):
    """What the gauges read from a deployment's live state."""

    @property
    def endpoint(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def in_flight(self) -> int: ...

    @property
    def replicas(self) -> Sized: ...


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(series: Series) -> str:
    return f'endpoint="{_escape(series.endpoint)}",deployment="{_escape(series.deployment)}"'


def _number(value: float) -> str:
    return repr(float(value)) if isinstance(value, float) else str(value)


class GatewayMetrics:
    """All series of one gateway."""

    def __init__(self) -> None:
        self._series: dict[tuple[str, str], Series] = {}

    def series(self, endpoint: str, deployment: str) -> Series:
        key = (endpoint, deployment)
        found = self._series.get(key)
        if found is None:
            found = self._series[key] = Series(endpoint, deployment)
        return found

    def render(self, live: Iterable[LiveDeployment] = ()) -> bytes:
        """The text exposition of every series, plus gauges for the ``live`` deployments."""
        every = sorted(self._series.values(), key=lambda s: (s.endpoint, s.deployment))
        out: list[str] = []

        def header(name: str, kind: str, text: str) -> None:
            out.append(f"# HELP {name} {text}")
            out.append(f"# TYPE {name} {kind}")

        header("basin_gateway_requests_total", "counter", "Requests answered, by status code.")
        for s in every:
            for status, count in sorted(s.statuses.items()):
                out.append(
                    f'basin_gateway_requests_total{{{_labels(s)},status="{status}"}} {count}'
                )
        header(
            "basin_gateway_mirrored_requests_total",
            "counter",
            "Mirrored copies of requests, by the status the mirror deployment answered.",
        )
        for s in every:
            for status, count in sorted(s.mirrored.items()):
                out.append(
                    f"basin_gateway_mirrored_requests_total"
                    f'{{{_labels(s)},status="{status}"}} {count}'
                )
        for name, attr, text in (
            ("basin_gateway_request_duration_seconds", "duration", "Time to answer a request."),
            (
                "basin_gateway_upstream_duration_seconds",
                "upstream",
                "Time from sending a request to a replica to the end of its answer.",
            ),
        ):
            header(name, "histogram", text)
            for s in every:
                hist: Histogram = getattr(s, attr)
                count = sum(hist.counts)
                if count == 0:
                    continue
                labels = _labels(s)
                running = 0
                for bound, n in zip((*BUCKETS, None), hist.counts, strict=True):
                    running += n
                    le = "+Inf" if bound is None else _number(bound)
                    out.append(f'{name}_bucket{{{labels},le="{le}"}} {running}')
                out.append(f"{name}_sum{{{labels}}} {_number(hist.total)}")
                out.append(f"{name}_count{{{labels}}} {count}")
        deployments = sorted(live, key=lambda d: (d.endpoint, d.name))
        header("basin_gateway_in_flight_requests", "gauge", "Requests being answered now.")
        for d in deployments:
            out.append(
                f'basin_gateway_in_flight_requests{{endpoint="{_escape(d.endpoint)}",'
                f'deployment="{_escape(d.name)}"}} {d.in_flight}'
            )
        header("basin_gateway_ready_replicas", "gauge", "Ready replicas the gateway routes to.")
        for d in deployments:
            out.append(
                f'basin_gateway_ready_replicas{{endpoint="{_escape(d.endpoint)}",'
                f'deployment="{_escape(d.name)}"}} {len(d.replicas)}'
            )
        return ("\n".join(out) + "\n").encode()
