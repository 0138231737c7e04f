"""Every ARM adapter's routes, in the order they are tried (specific before general)."""

from __future__ import annotations

from basin.server.arm import (
    assets,
    authorization,
    connections,
    datastores,
    deployments,
    endpoints,
    key_vaults,
    lro,
    model_management,
    msi,
    resources,
    storage,
    workspaces,
)
from basin.server.arm.routing import ArmRouter

__all__ = ["all_routes"]


def all_routes() -> ArmRouter:
    router = ArmRouter()
    # Deployments before endpoints: their paths start with an endpoint's.
    for module in (
        lro,
        deployments,
        endpoints,
        datastores,
        connections,
        assets,
        workspaces,
        storage,
        msi,
        key_vaults,
        authorization,
        resources,
        model_management,
    ):
        router.include(module.router)
    return router
