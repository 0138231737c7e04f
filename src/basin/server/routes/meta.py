"""``/basin/health`` (no credential needed) and ``/basin/info``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from basin.server.auth import platform_of
from basin.services.client_env import client_environment

public_router = APIRouter()
router = APIRouter()


@public_router.get("/basin/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/basin/info")
def info(request: Request) -> dict[str, Any]:
    platform = platform_of(request)
    principal = request.state.principal
    return {
        "subscription_id": platform.subscription_id,
        "tenant_id": platform.installation.tenant_id,
        "location": platform.location,
        "endpoints": {
            "management": platform.api_endpoint,
            "blob": platform.blob_endpoint,
            "proxy": platform.proxy_endpoint,
        },
        # What a notebook or script sets to reach basin at Azure's host names (basin env).
        "client_environment": client_environment(platform),
        "caller": {
            "object_id": principal.object_id,
            "app_id": principal.client_id,
            "name": principal.display_name,
            "type": principal.kind,
        },
    }
