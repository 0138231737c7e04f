"""``…/workspaces/{workspace}/onlineEndpoints[/{name}[/action]]``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request, Response

from basin.entities import ManagedOnlineEndpoint, parse_entity
from basin.server.routes._common import WORKSPACE, listing, platform_for, workspace_for
from basin.services import endpoints
from basin.services.serving import wait_for_removal

router = APIRouter()

ENDPOINTS = WORKSPACE + "/onlineEndpoints"
ONE = ENDPOINTS + "/{name}"


@router.get(ENDPOINTS)
def list_all(request: Request, subscription_id: str, group: str, workspace: str) -> dict[str, Any]:
    workspace_for(request, subscription_id, group, workspace)
    return listing(
        endpoints.list_endpoints(platform_for(request, subscription_id), group, workspace)
    )


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
    endpoint = parse_entity(ManagedOnlineEndpoint, {**body, "name": name}, source="online endpoint")
    platform = platform_for(request, subscription_id)
    return endpoints.create_or_update(platform, group, workspace, endpoint).to_dict()


@router.patch(ONE)
def update(
    request: Request,
    subscription_id: str,
    group: str,
    workspace: str,
    name: str,
    body: dict[str, Any] = Body(),
) -> dict[str, Any]:
    workspace_for(request, subscription_id, group, workspace)
    platform = platform_for(request, subscription_id)
    return endpoints.update(platform, group, workspace, name, body).to_dict()


@router.get(ONE)
def show(
    request: Request, subscription_id: str, group: str, workspace: str, name: str
) -> dict[str, Any]:
    workspace_for(request, subscription_id, group, workspace)
    return endpoints.get(platform_for(request, subscription_id), group, workspace, name).to_dict()


@router.delete(ONE)
def delete(
    request: Request, subscription_id: str, group: str, workspace: str, name: str
) -> Response:
    workspace_for(request, subscription_id, group, workspace)
    gone = endpoints.delete(platform_for(request, subscription_id), group, workspace, name)
    wait_for_removal(request.app.state.serving, gone.id)
    return Response(status_code=200)


@router.post(ONE + "/listKeys")
def list_keys(
    request: Request, subscription_id: str, group: str, workspace: str, name: str
) -> dict[str, Any]:
    """The keys (key auth) or a short-lived token (aml_token auth): the one call that returns them."""
    workspace_for(request, subscription_id, group, workspace)
    platform = platform_for(request, subscription_id)
    credentials = endpoints.get_credentials(
        platform, group, workspace, name, request.state.principal
    )
    return credentials.to_dict()


@router.post(ONE + "/regenerateKeys")
def regenerate_keys(
    request: Request,
    subscription_id: str,
    group: str,
    workspace: str,
    name: str,
    body: dict[str, Any] = Body({}),
) -> Response:
    workspace_for(request, subscription_id, group, workspace)
    key_type = str(body.get("keyType") or "primary")
    endpoints.regenerate_key(
        platform_for(request, subscription_id), group, workspace, name, key_type
    )
    return Response(status_code=200)
