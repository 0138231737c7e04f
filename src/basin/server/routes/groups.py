"""``/subscriptions/{sub}/resourceGroups[/{group}]``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request, Response

from basin.ids import resource_group_id
from basin.server.routes._common import GROUP, SUB, listing, platform_for
from basin.services import groups
from basin.services.serving import wait_for_removal

router = APIRouter()


@router.get(SUB + "/resourceGroups")
def list_groups(request: Request, subscription_id: str) -> dict[str, Any]:
    return listing(groups.list_all(platform_for(request, subscription_id)))


@router.put(GROUP)
def create_group(
    request: Request, subscription_id: str, group: str, body: dict[str, Any] = Body(default={})
) -> dict[str, Any]:
    platform = platform_for(request, subscription_id)
    return groups.create(platform, group, body.get("location"), body.get("tags")).to_dict()


@router.get(GROUP)
def show_group(request: Request, subscription_id: str, group: str) -> dict[str, Any]:
    return groups.get(platform_for(request, subscription_id), group).to_dict()


@router.delete(GROUP, status_code=200)
def delete_group(request: Request, subscription_id: str, group: str) -> Response:
    platform = platform_for(request, subscription_id)
    groups.delete(platform, group)
    group_id = resource_group_id(platform.subscription_id, group)
    wait_for_removal(request.app.state.serving, group_id)  # the replicas of what it held
    return Response(status_code=200)
