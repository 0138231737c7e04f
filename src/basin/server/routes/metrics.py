"""``GET …/onlineEndpoints/{name}/metrics``: the charts' numbers, from the monitoring sink."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from basin.server.routes._common import WORKSPACE, platform_for, workspace_for
from basin.services import deployments, endpoints
from basin.services.metrics import SinkMetrics
from basin.services.monitoring import requests_path

router = APIRouter()


@router.get(WORKSPACE + "/onlineEndpoints/{name}/metrics")
def endpoint_metrics(
    request: Request,
    subscription_id: str,
    group: str,
    workspace: str,
    name: str,
    window: str = "15m",
    deployment: str | None = None,
) -> dict[str, Any]:
    """Requests per second, latency p50/p95/p99, status codes and ready replicas over
    ``window`` (15m, 1h, 24h), for the endpoint or one ``deployment``."""
    ws = workspace_for(request, subscription_id, group, workspace)
    platform = platform_for(request, subscription_id)
    endpoint = endpoints.get(platform, group, workspace, name)
    if deployment:
        deployment = deployments.get(platform, group, workspace, name, deployment).name
    reader: SinkMetrics = request.app.state.metrics
    return reader.query(
        requests_path(platform, ws), endpoint.name, deployment=deployment, window=window
    )
