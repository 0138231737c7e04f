"""Line charts as inline SVG, drawn on the server from the metrics API's points (no script)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

__all__ = ["Chart", "Line", "charts_for", "render"]

WIDTH, HEIGHT = 520, 190
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 26


@dataclass(frozen=True)
class Line:
    label: str
    values: Sequence[float | None]
    #: CSS class giving the colour (``series-1`` ... ``series-4``).
    css: str


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    unit: str
    times: Sequence[str]
    lines: Sequence[Line]
    #: Mark each point that has data (requests, latency); a count of replicas is a plain line.
    dots: bool = True

    @property
    def points_with_data(self) -> int:
        return sum(
            1
            for i in range(len(self.times))
            if any((line.values[i] or 0) > 0 for line in self.lines)
        )


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if value <= step * magnitude:
            return step * magnitude
    return 10.0 * magnitude


def _format(value: float) -> str:
    if value >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _clock(iso_time: str) -> str:
    return iso_time[11:16]  # HH:MM of 2024-01-01T12:34:56Z


def render(chart: Chart) -> Markup:
    """The chart as an ``<svg>`` element, titled and described for screen readers."""
    count = len(chart.times)
    peak = max((v for line in chart.lines for v in line.values if v is not None), default=0.0)
    top = _nice_max(peak)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return LEFT + (plot_w * i / (count - 1) if count > 1 else plot_w / 2)

    def y(v: float) -> float:
        return TOP + plot_h * (1 - v / top)

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart.id}-title {chart.id}-desc" '
        f'data-points="{chart.points_with_data}" id="{chart.id}">',
        f'<title id="{chart.id}-title">{escape(chart.title)}</title>',
        f'<desc id="{chart.id}-desc">{escape(_describe(chart))}</desc>',
    ]
    for fraction in (0.0, 0.5, 1.0):
        level = y(top * fraction)
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{level:.1f}" y2="{level:.1f}"/>'
            f'<text class="tick" x="{LEFT - 6}" y="{level + 4:.1f}" text-anchor="end">'
            f"{_format(top * fraction)}</text>"
        )
    for i in sorted({0, count // 2, count - 1}) if count else ():
        anchor = "start" if i == 0 else "end" if i == count - 1 else "middle"
        parts.append(
            f'<text class="tick" x="{x(i):.1f}" y="{HEIGHT - 6}" text-anchor="{anchor}">'
            f"{escape(_clock(chart.times[i]))}</text>"
        )
    for line in chart.lines:
        segments: list[list[str]] = [[]]
        for i, value in enumerate(line.values):
            if value is None:
                segments.append([])
            else:
                segments[-1].append(f"{x(i):.1f},{y(value):.1f}")
        for segment in segments:
            if segment:
                parts.append(f'<polyline class="line {line.css}" points="{" ".join(segment)}"/>')
        if chart.dots:
            for i, value in enumerate(line.values):
                if value:
                    parts.append(
                        f'<circle class="dot {line.css}" cx="{x(i):.1f}" cy="{y(value):.1f}" r="2.5">'
                        f"<title>{escape(line.label)} {_format(value)} {escape(chart.unit)} "
                        f"at {escape(_clock(chart.times[i]))}</title></circle>"
                    )
    parts.append("</svg>")
    return Markup("".join(parts))


def _describe(chart: Chart) -> str:
    latest = []
    for line in chart.lines:
        known = [v for v in line.values if v is not None]
        if known:
            latest.append(f"{line.label} {_format(known[-1])} {chart.unit}")
    summary = ", ".join(latest) or "no data"
    return f"{chart.points_with_data} points with data; latest: {summary}."


def charts_for(metrics: dict[str, Any]) -> list[Chart]:
    """The four charts of a metrics answer: requests/s, latency, status codes, replicas."""
    points = metrics["points"]
    times = [p["time"] for p in points]
    classes = sorted({c for p in points for c in p["status_codes"]}) or ["2xx"]
    latency = [
        Line(name, [p["latency_ms"][name] for p in points], f"series-{i + 1}")
        for i, name in enumerate(("p50", "p95", "p99"))
    ]
    colour = {"2xx": "series-1", "3xx": "series-2", "4xx": "series-3", "5xx": "series-4"}
    return [
        Chart(
            "chart-requests",
            "Requests per second",
            "req/s",
            times,
            [Line("requests/s", [p["requests_per_second"] for p in points], "series-1")],
        ),
        Chart("chart-latency", "Latency (ms)", "ms", times, latency),
        Chart(
            "chart-status",
            "Status codes (requests per interval)",
            "requests",
            times,
            [
                Line(c, [p["status_codes"].get(c, 0) for p in points], colour.get(c, "series-4"))
                for c in classes
            ],
        ),
        Chart(
            "chart-replicas",
            "Ready replicas",
            "replicas",
            times,
            [Line("replicas", [p["replicas"] for p in points], "series-2")],
            dots=False,
        ),
    ]
