"""Pieces shared by the route modules: path prefixes, list bodies, the workspace guard."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import Request

from basin.entities import Entity, Workspace
from basin.server.auth import check_subscription, platform_of
from basin.services import workspaces
from basin.services.platform import Platform

__all__ = ["GROUP", "SUB", "WORKSPACE", "listing", "platform_for", "workspace_for"]

SUB = "/subscriptions/{subscription_id}"
GROUP = SUB + "/resourceGroups/{group}"
WORKSPACE = GROUP + "/providers/Microsoft.MachineLearningServices/workspaces/{workspace}"


def platform_for(request: Request, subscription_id: str) -> Platform:
    """The platform, after checking the subscription in the path is this installation's."""
    platform = platform_of(request)
    check_subscription(platform, subscription_id)
    return platform


def workspace_for(request: Request, subscription_id: str, group: str, name: str) -> Workspace:
    """The workspace, after the public-network-access check for this caller's address."""
    workspace = workspaces.get(platform_for(request, subscription_id), group, name)
    client = request.client.host if request.client else None
    request.app.state.network_policy.check(workspace, client)
    return workspace


def listing(items: Iterable[Entity]) -> dict[str, Any]:
    return {"value": [item.to_dict() for item in items]}
