"""``/basin/principals``: users and service principals (only a subscription Owner may manage them)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request, Response

from basin.identity import ROLE_ASSIGNMENT_WRITE
from basin.server.auth import platform_of
from basin.services import access, principals

router = APIRouter()


def _require_owner(request: Request) -> None:
    platform = platform_of(request)
    scope = f"/subscriptions/{platform.subscription_id}"
    access.authorize(platform, request.state.principal.object_id, ROLE_ASSIGNMENT_WRITE, scope)


@router.get("/basin/principals")
def list_all(request: Request) -> dict[str, Any]:
    _require_owner(request)
    return {"value": [p.to_dict() for p in principals.list_principals(platform_of(request))]}


@router.post("/basin/principals", status_code=201)
def create(request: Request, body: dict[str, Any] = Body()) -> dict[str, Any]:
    _require_owner(request)
    kind = str(body.get("principalType") or "ServicePrincipal")
    return principals.create(
        platform_of(request), str(body.get("displayName") or ""), kind
    ).to_dict()


@router.post("/basin/principals/{ref}/resetCredential")
def reset(request: Request, ref: str) -> dict[str, Any]:
    _require_owner(request)
    return principals.reset_secret(platform_of(request), ref).to_dict()


@router.delete("/basin/principals/{ref}")
def delete(request: Request, ref: str) -> Response:
    _require_owner(request)
    principals.delete(platform_of(request), ref)
    return Response(status_code=200)
