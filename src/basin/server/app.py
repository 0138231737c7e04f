"""``create_app``: the management API as a FastAPI application (no state at import time)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import Depends, FastAPI

from basin.server.auth import authorize
from basin.server.errors import install_error_handlers
from basin.server.limits import BodyLimits
from basin.server.network import NetworkPolicy
from basin.server.routes import (
    artifacts,
    authorization,
    connections,
    deployments,
    endpoints,
    environments,
    groups,
    identities,
    key_vaults,
    meta,
    metrics,
    models,
    package_index,
    principals,
    storage_accounts,
    tokens,
    uploads,
    workspaces,
)
from basin.services.metrics import SinkMetrics
from basin.services.platform import Platform
from basin.studio import create_studio

__all__ = ["create_app"]


def create_app(
    platform: Platform, *, trusted_networks: Sequence[str] = (), serving: Any = None
) -> FastAPI:
    app = FastAPI(title="basin management API", version="0.1.0", docs_url=None, redoc_url=None)
    app.state.platform = platform
    app.state.network_policy = NetworkPolicy(trusted_networks)
    app.state.serving = serving
    app.state.metrics = SinkMetrics()
    install_error_handlers(app)
    app.add_middleware(BodyLimits)
    app.include_router(meta.public_router)
    app.include_router(tokens.public_router)
    app.include_router(artifacts.public_router)
    secured = [Depends(authorize)]
    routed = (
        meta,
        groups,
        workspaces,
        storage_accounts,
        key_vaults,
        identities,
        authorization,
        principals,
        tokens,
        uploads,
        models,
        connections,
        environments,
        package_index,
        endpoints,
        deployments,
        metrics,
    )
    for module in routed:
        app.include_router(module.router, dependencies=secured)
    # The studio's pages call this same app (in process), with the signed-in user's token.
    app.mount("/studio", create_studio(app))
    return app
