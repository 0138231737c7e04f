"""Role definitions and role assignments (``Microsoft.Authorization``) at any scope."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request, Response

from basin.errors import ValidationError
from basin.identity import builtin_roles, get_role
from basin.server.routes._common import SUB, listing, platform_for
from basin.services import role_assignments

router = APIRouter()

AUTH = "/providers/Microsoft.Authorization"
# An assignment lives under its scope, which may be the subscription, a group or any resource.
AT_SCOPE = "/subscriptions/{subscription_id}{rest:path}" + AUTH + "/roleAssignments/{name}"


@router.get(SUB + AUTH + "/roleDefinitions")
def list_definitions(
    request: Request, subscription_id: str, name: str | None = None
) -> dict[str, Any]:
    platform = platform_for(request, subscription_id)
    roles = [get_role(name)] if name else list(builtin_roles())
    return {"value": [role.to_arm(platform.subscription_id) for role in roles]}


@router.get(SUB + AUTH + "/roleAssignments")
def list_assignments(
    request: Request,
    subscription_id: str,
    assignee: str | None = None,
    scope: str | None = None,
    role: str | None = None,
    all: bool = False,
) -> dict[str, Any]:
    platform = platform_for(request, subscription_id)
    found = role_assignments.list_assignments(
        platform, assignee=assignee, scope=scope, role=role, include_all=all
    )
    return listing(found)


@router.put(AT_SCOPE, status_code=201)
def create_assignment(
    request: Request, subscription_id: str, rest: str, name: str, body: dict[str, Any] = Body()
) -> dict[str, Any]:
    platform = platform_for(request, subscription_id)
    principal_id = body.get("principalId")
    role = body.get("roleDefinitionId") or body.get("roleDefinitionName")
    if not principal_id or not role:
        raise ValidationError(
            "A role assignment needs 'principalId' and 'roleDefinitionId' (or a role name)."
        )
    scope = f"/subscriptions/{subscription_id}{rest}"
    created = role_assignments.create(
        platform, str(principal_id), str(role), scope, body.get("principalType"), name=name
    )
    return created.to_dict()


@router.delete(AT_SCOPE)
def delete_assignment(request: Request, subscription_id: str, rest: str, name: str) -> Response:
    platform = platform_for(request, subscription_id)
    role_assignments.delete(
        platform, f"/subscriptions/{subscription_id}{rest}{AUTH}/roleAssignments/{name}"
    )
    return Response(status_code=200)
