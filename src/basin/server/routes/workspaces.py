"""``…/providers/Microsoft.MachineLearningServices/workspaces[/{name}[/action]]``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request, Response

from basin.entities import Workspace, parse_entity
from basin.server.routes._common import GROUP, SUB, listing, platform_for, workspace_for
from basin.services import workspaces
from basin.services.serving import wait_for_removal

router = APIRouter()

WORKSPACES = "/providers/Microsoft.MachineLearningServices/workspaces"
ONE = GROUP + WORKSPACES + "/{name}"


@router.get(SUB + WORKSPACES)
def list_in_subscription(
    request: Request, subscription_id: str, deleted: bool = False
) -> dict[str, Any]:
    platform = platform_for(request, subscription_id)
    return listing(workspaces.list_workspaces(platform, None, deleted=deleted))


@router.get(GROUP + WORKSPACES)
def list_in_group(
    request: Request, subscription_id: str, group: str, deleted: bool = False
) -> dict[str, Any]:
    platform = platform_for(request, subscription_id)
    return listing(workspaces.list_workspaces(platform, group, deleted=deleted))


@router.put(ONE, status_code=201)
def create_workspace(
    request: Request, subscription_id: str, group: str, name: str, body: dict[str, Any] = Body()
) -> dict[str, Any]:
    platform = platform_for(request, subscription_id)
    workspace = parse_entity(Workspace, {**body, "name": name}, source="workspace")
    return workspaces.create(platform, group, workspace).to_dict()


@router.get(ONE)
def show_workspace(request: Request, subscription_id: str, group: str, name: str) -> dict[str, Any]:
    return workspace_for(request, subscription_id, group, name).to_dict()


@router.patch(ONE)
def update_workspace(
    request: Request, subscription_id: str, group: str, name: str, body: dict[str, Any] = Body()
) -> dict[str, Any]:
    workspace_for(request, subscription_id, group, name)
    platform = platform_for(request, subscription_id)
    return workspaces.update(platform, group, name, body).to_dict()


@router.delete(ONE)
def delete_workspace(
    request: Request,
    subscription_id: str,
    group: str,
    name: str,
    permanently_delete: bool = False,
) -> Response:
    platform = platform_for(request, subscription_id)
    if not permanently_delete:
        workspace_for(request, subscription_id, group, name)
    workspaces.delete(platform, group, name, permanently=permanently_delete)
    # its endpoints went with it: back once their replicas have stopped
    wait_for_removal(request.app.state.serving, workspaces.workspace_id(platform, group, name))
    return Response(status_code=200)


@router.post(ONE + "/recover")
def recover_workspace(
    request: Request, subscription_id: str, group: str, name: str
) -> dict[str, Any]:
    return workspaces.recover(platform_for(request, subscription_id), group, name).to_dict()


@router.post(ONE + "/listKeys")
def list_keys(request: Request, subscription_id: str, group: str, name: str) -> dict[str, Any]:
    workspace_for(request, subscription_id, group, name)
    platform = platform_for(request, subscription_id)
    return workspaces.list_keys(platform, group, name).to_dict()


@router.post(ONE + "/resyncKeys")
def sync_keys(request: Request, subscription_id: str, group: str, name: str) -> dict[str, Any]:
    workspace_for(request, subscription_id, group, name)
    platform = platform_for(request, subscription_id)
    return workspaces.sync_keys(platform, group, name).to_dict()
