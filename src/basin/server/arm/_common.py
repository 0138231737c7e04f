"""What the ARM adapters share: path templates, the role check, the workspace guard."""

from __future__ import annotations

from basin.entities import Workspace
from basin.identity import action_for
from basin.server.arm.routing import ArmRequest
from basin.services import access, workspaces
from basin.services.platform import Platform
from basin.store import Principal

__all__ = ["GROUP", "ML", "SUB", "WORKSPACE", "authorize", "workspace_for"]

SUB = "/subscriptions/{subscription}"
GROUP = SUB + "/resourceGroups/{group}"
ML = "Microsoft.MachineLearningServices"
WORKSPACE = GROUP + f"/providers/{ML}/workspaces/{{workspace}}"


def authorize(platform: Platform, principal: Principal, scope: str, verb: str) -> None:
    """403 unless the principal's roles allow ``verb`` on ``scope`` (as basin's own API)."""
    access.authorize(platform, principal.object_id, action_for(scope, verb), scope)


def workspace_for(request: ArmRequest) -> Workspace:
    """The path's workspace, after the public-network-access check for this caller."""
    workspace = workspaces.get(
        request.platform, request.params["group"], request.params["workspace"]
    )
    request.state.network_policy.check(workspace, request.client_host)
    return workspace
