"""``…/workspaces/{workspace}/connections[/{name}]``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request, Response

from basin.entities import WorkspaceConnection, parse_entity
from basin.server.routes._common import WORKSPACE, listing, platform_for, workspace_for
from basin.services import connections

router = APIRouter()

CONNECTIONS = WORKSPACE + "/connections"
ONE = CONNECTIONS + "/{name}"


@router.get(CONNECTIONS)
def list_all(
    request: Request, subscription_id: str, group: str, workspace: str, type: str | None = None
) -> dict[str, Any]:
    workspace_for(request, subscription_id, group, workspace)
    platform = platform_for(request, subscription_id)
    return listing(connections.list_connections(platform, group, workspace, type))


@router.put(ONE)
def create_or_update(
    request: Request,
    subscription_id: str,
    group: str,
    workspace: str,
    name: str,
    body: dict[str, Any] = Body(),
) -> dict[str, Any]:
    workspace_for(request, subscription_id, group, workspace)
    connection = parse_entity(WorkspaceConnection, {**body, "name": name}, source="connection")
    platform = platform_for(request, subscription_id)
    return connections.create_or_update(platform, group, workspace, connection).to_dict()


@router.get(ONE)
def show(
    request: Request, subscription_id: str, group: str, workspace: str, name: str
) -> dict[str, Any]:
    workspace_for(request, subscription_id, group, workspace)
    return connections.get(platform_for(request, subscription_id), group, workspace, name).to_dict()


@router.delete(ONE)
def delete(
    request: Request, subscription_id: str, group: str, workspace: str, name: str
) -> Response:
    workspace_for(request, subscription_id, group, workspace)
    connections.delete(platform_for(request, subscription_id), group, workspace, name)
    return Response(status_code=200)
