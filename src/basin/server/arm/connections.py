"""Workspace connections in ARM's shape (``properties.category``: ``PythonFeed``, ``Git``,
``ContainerRegistry``, ``CustomKeys``; ``authType``: ``PAT``, ``UsernamePassword``, ``None``;
``target``; ``credentials`` on the way in only).

A secret goes into the vault and never comes out, here as in basin's own API: ``listsecrets``
is refused with a message saying so (the builder is the only reader of a feed's token).
"""

from __future__ import annotations

from typing import Any

from basin.entities import WorkspaceConnection, parse_entity
from basin.entities.connection import CATEGORIES
from basin.errors import AuthorizationError, ValidationError
from basin.server.arm._common import ML, WORKSPACE, workspace_for
from basin.server.arm.routing import ArmReply, ArmRequest, ArmRouter
from basin.server.arm.wire import envelope, page, text_map
from basin.services import connections

__all__ = ["router"]

router = ArmRouter()
CONNECTIONS = WORKSPACE + "/connections"
ONE = CONNECTIONS + "/{name}"
_AUTH = {"pat": "PAT", "username_password": "UsernamePassword", "none": "None"}


def _connection(found: WorkspaceConnection) -> dict[str, Any]:
    assert found.id is not None
    properties = {
        "category": CATEGORIES[found.type],
        "authType": _AUTH[found.credentials.type],
        "target": found.target,
        "isSharedToAll": found.is_shared,
        "metadata": found.metadata,
    }
    if found.credentials.type == "username_password":
        properties["credentials"] = {"username": getattr(found.credentials, "username", None)}
    return envelope(found.id, f"{ML}/workspaces/connections", properties)


def _from_arm(request: ArmRequest) -> WorkspaceConnection:
    properties = request.json_object().get("properties")
    if not isinstance(properties, dict):
        raise ValidationError("A connection needs 'properties' with category, target, authType.")
    auth = str(properties.get("authType") or "None").lower()
    given = properties.get("credentials") or {}
    if not isinstance(given, dict):
        raise ValidationError("'properties.credentials' must be an object.")
    kinds = {"pat": "pat", "usernamepassword": "username_password", "none": "none"}
    if auth not in kinds:
        raise ValidationError(
            f"authType '{properties.get('authType')}' is not supported: basin's connections take "
            "PAT, UsernamePassword or None."
        )
    credentials: dict[str, Any] = {"type": kinds[auth]}
    if auth == "pat":
        credentials["pat"] = given.get("pat")
    elif auth == "usernamepassword":
        credentials |= {"username": given.get("username"), "password": given.get("password")}
    fields = {
        "name": request.params["name"],
        "type": properties.get("category"),
        "target": properties.get("target") or "",
        "credentials": credentials,
        "is_shared": properties.get("isSharedToAll", True),
        "metadata": text_map(properties.get("metadata"), "properties.metadata"),
    }
    return parse_entity(WorkspaceConnection, fields, source="connection")


@router.route("GET", CONNECTIONS)
def _list(request: ArmRequest) -> dict[str, Any]:
    workspace_for(request)
    p = request.params
    found = connections.list_connections(request.platform, p["group"], p["workspace"])
    category = request.query.get("category")
    return page(_connection(c) for c in found if category is None or CATEGORIES[c.type] == category)


@router.route("GET", ONE)
def _show(request: ArmRequest) -> dict[str, Any]:
    workspace_for(request)
    p = request.params
    return _connection(connections.get(request.platform, p["group"], p["workspace"], p["name"]))


@router.route("PUT", ONE)
def _create_or_update(request: ArmRequest) -> ArmReply:
    workspace_for(request)
    p = request.params
    made = connections.create_or_update(
        request.platform, p["group"], p["workspace"], _from_arm(request)
    )
    return ArmReply(_connection(made), 200)


@router.route("DELETE", ONE)
def _delete(request: ArmRequest) -> ArmReply:
    workspace_for(request)
    p = request.params
    connections.delete(request.platform, p["group"], p["workspace"], p["name"])
    return ArmReply(None, 200)


@router.route("POST", ONE + "/listsecrets")
def _list_secrets(request: ArmRequest) -> dict[str, Any]:
    workspace_for(request)
    raise AuthorizationError(
        "basin never returns a connection's secret: it is sealed in the workspace's vault and "
        "read only by the environment builder. Set it again with a PUT if it changed."
    )
