"""What the ARM adapters share: path templates, the role check, the workspace guard."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from basin.entities import Workspace
from basin.identity import action_for
from basin.server.arm.routing import ArmRequest
from basin.services import access, workspaces
from basin.services.platform import Platform
from basin.store import Principal

T = TypeVar("T")
H = TypeVar("H", bound=Callable[..., Any])

__all__ = [
    "GROUP",
    "ML",
    "SUB",
    "WORKSPACE",
    "authorize",
    "lists_what_it_can_read",
    "readable",
    "workspace_for",
]

SUB = "/subscriptions/{subscription}"
GROUP = SUB + "/resourceGroups/{group}"
ML = "Microsoft.MachineLearningServices"
WORKSPACE = GROUP + f"/providers/{ML}/workspaces/{{workspace}}"


def authorize(platform: Platform, principal: Principal, scope: str, verb: str) -> None:
    """403 unless the principal's roles allow ``verb`` on ``scope`` (as basin's own API)."""
    access.authorize(platform, principal.object_id, action_for(scope, verb), scope)


def readable(request: ArmRequest, items: Iterable[T], id_of: Callable[[T], str | None]) -> list[T]:
    """The items the caller may read: a list across the subscription shows what the caller's
    roles reach, as ARM's does (a Contributor on one group sees that group)."""
    found = []
    for item in items:
        rid = id_of(item)
        if rid and access.is_allowed(
            request.platform, request.principal.object_id, action_for(rid, "read"), rid
        ):
            found.append(item)
    return found


def lists_what_it_can_read(handler: H) -> H:
    """Mark a subscription-wide list whose handler filters with ``readable`` itself."""
    handler.authorizes_itself = True  # type: ignore[attr-defined]
    return handler


def workspace_for(request: ArmRequest) -> Workspace:
    """The path's workspace, after the public-network-access check for this caller."""
    workspace = workspaces.get(
        request.platform, request.params["group"], request.params["workspace"]
    )
    request.state.network_policy.check(workspace, request.client_host)
    return workspace
