"""``…/providers/Microsoft.ManagedIdentity/userAssignedIdentities[/{name}]``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request, Response

from basin.server.routes._common import GROUP, SUB, listing, platform_for
from basin.services import identities

router = APIRouter()

IDENTITIES = "/providers/Microsoft.ManagedIdentity/userAssignedIdentities"
ONE = GROUP + IDENTITIES + "/{name}"


@router.get(SUB + IDENTITIES)
def list_all(request: Request, subscription_id: str) -> dict[str, Any]:
    return listing(identities.list_identities(platform_for(request, subscription_id)))


@router.get(GROUP + IDENTITIES)
def list_in_group(request: Request, subscription_id: str, group: str) -> dict[str, Any]:
    return listing(identities.list_identities(platform_for(request, subscription_id), group))


@router.put(ONE, status_code=201)
def create(
    request: Request, subscription_id: str, group: str, name: str, body: dict[str, Any] = Body({})
) -> dict[str, Any]:
    platform = platform_for(request, subscription_id)
    return identities.create(
        platform, group, name, body.get("tags"), body.get("location")
    ).to_dict()


@router.get(ONE)
def show(request: Request, subscription_id: str, group: str, name: str) -> dict[str, Any]:
    return identities.get(platform_for(request, subscription_id), group, name).to_dict()


@router.delete(ONE)
def delete(request: Request, subscription_id: str, group: str, name: str) -> Response:
    identities.delete(platform_for(request, subscription_id), group, name)
    return Response(status_code=200)
