"""``basin online-endpoint metrics``: the studio's charts as numbers (basin's own command)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from basin.cli import _context
from basin.cli._options import Group, Output, Query, Workspace
from basin.cli._output import OutputFormat, emit

__all__ = ["metrics"]


def _rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per point, flat, for ``-o table`` / ``-o tsv``."""
    return [
        {
            "time": point["time"],
            "requests": point["requests"],
            "rps": point["requests_per_second"],
            "p50_ms": point["latency_ms"]["p50"],
            "p95_ms": point["latency_ms"]["p95"],
            "p99_ms": point["latency_ms"]["p99"],
            "status_codes": " ".join(f"{k}={v}" for k, v in point["status_codes"].items()),
            "replicas": point["replicas"],
        }
        for point in data["points"]
    ]


def metrics(
    name: Annotated[str, typer.Option("--name", "-n", help="Endpoint name.")],
    window: Annotated[str, typer.Option("--window", help="15m, 1h or 24h.")] = "15m",
    deployment_name: Annotated[
        str | None, typer.Option("--deployment-name", "-d", help="One deployment only.")
    ] = None,
    resource_group: Group = None,
    workspace_name: Workspace = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Requests/s, latency p50/p95/p99, status codes and ready replicas over a window."""
    data = _context.client(resource_group, workspace_name).online_endpoints.get_metrics(
        name, window=window, deployment_name=deployment_name
    )
    shown = _rows(data) if output in (OutputFormat.table, OutputFormat.tsv) and not query else data
    emit(shown, output, query)
