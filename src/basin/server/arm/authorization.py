"""``Microsoft.Authorization``: role definitions and role assignments at any scope, in the shapes
of azure-mgmt-authorization's models (``properties.roleName``, ``properties.principalId``, ...).

Listing at a scope answers what Azure does: the assignments at, above and below it
(``$filter=atScope()``: at and above; ``principalId eq '...'``, ``assignedTo('...')``), and the
built-in role definitions (``$filter=roleName eq '...'``).
"""

from __future__ import annotations

import re
from typing import Any

from basin.entities import RoleAssignment
from basin.errors import ValidationError
from basin.identity import builtin_roles, get_role
from basin.identity.roles import RoleDefinition, role_definition_id
from basin.identity.scopes import scope_covers
from basin.server.arm.routing import ArmReply, ArmRequest, ArmRouter
from basin.server.arm.wire import envelope, page
from basin.services import role_assignments

__all__ = ["router"]

router = ArmRouter()
AUTH = "/providers/Microsoft.Authorization"
AT_SCOPE = "/subscriptions/{subscription}{scope:path}" + AUTH
_FILTER = re.compile(r"^\s*(\w+)\s+eq\s+'([^']*)'\s*$", re.IGNORECASE)
_FUNCTION = re.compile(r"^\s*(atScope|assignedTo)\(\s*(?:'([^']*)')?\s*\)\s*$", re.IGNORECASE)


def _definition(role: RoleDefinition, subscription_id: str) -> dict[str, Any]:
    properties = {
        "roleName": role.role_name,
        "type": role.role_type,
        "description": role.description,
        "assignableScopes": list(role.assignable_scopes),
        "permissions": [
            {
                "actions": list(p.actions),
                "notActions": list(p.not_actions),
                "dataActions": list(p.data_actions),
                "notDataActions": list(p.not_data_actions),
            }
            for p in role.permissions
        ],
    }
    return envelope(
        role_definition_id(role.name, subscription_id),
        "Microsoft.Authorization/roleDefinitions",
        properties,
    )


def _scope_of(request: ArmRequest) -> str:
    return f"/subscriptions/{request.params['subscription']}{request.params.get('scope', '')}"


@router.route("GET", AT_SCOPE + "/roleDefinitions")
def _list_definitions(request: ArmRequest) -> dict[str, Any]:
    wanted = None
    text = request.query.get("$filter")
    if text:
        match = _FILTER.match(text)
        if match is None or match.group(1).lower() != "rolename":
            raise ValidationError(
                "Role definitions can be filtered by roleName only: $filter=roleName eq 'Reader'."
            )
        wanted = match.group(2).lower()
    sub = request.platform.subscription_id
    roles = [r for r in builtin_roles() if wanted is None or r.role_name.lower() == wanted]
    return page(_definition(r, sub) for r in roles)


@router.route("GET", AT_SCOPE + "/roleDefinitions/{role}")
def _get_definition(request: ArmRequest) -> dict[str, Any]:
    return _definition(get_role(request.params["role"]), request.platform.subscription_id)


def _assignment(found: RoleAssignment) -> dict[str, Any]:
    assert found.id is not None
    stamp = found.created_on.isoformat() if found.created_on else None
    properties = {
        "roleDefinitionId": found.role_definition_id,
        "principalId": found.principal_id,
        "principalType": found.principal_type,
        "scope": found.scope,
        "createdOn": stamp,
        "updatedOn": stamp,
    }
    return envelope(found.id, "Microsoft.Authorization/roleAssignments", properties)


def _matches_filter(found: RoleAssignment, scope: str, text: str | None) -> bool:
    """Azure's list filters; none: at, above or below the scope."""
    at_or_above = scope_covers(found.scope, scope)
    if not text:
        return at_or_above or scope_covers(scope, found.scope)
    for clause in re.split(r"\s+and\s+", text, flags=re.IGNORECASE):
        function = _FUNCTION.match(clause)
        equals = _FILTER.match(clause)
        if function is not None and function.group(1).lower() == "atscope":
            if not at_or_above:
                return False
        elif function is not None:  # assignedTo('{principal}')
            if found.principal_id != (function.group(2) or ""):
                return False
        elif equals is not None and equals.group(1).lower() == "principalid":
            if found.principal_id != equals.group(2):
                return False
        else:
            raise ValidationError(
                "Supported role assignment filters: atScope(), principalId eq '<id>', "
                "assignedTo('<id>')."
            )
    return True


@router.route("GET", AT_SCOPE + "/roleAssignments")
def _list_assignments(request: ArmRequest) -> dict[str, Any]:
    scope = _scope_of(request)
    text = request.query.get("$filter")
    found = role_assignments.list_assignments(request.platform, include_all=True)
    return page(_assignment(a) for a in found if _matches_filter(a, scope, text))


def _assignment_id(request: ArmRequest) -> str:
    return f"{_scope_of(request)}{AUTH}/roleAssignments/{request.params['name']}"


@router.route("PUT", AT_SCOPE + "/roleAssignments/{name}")
def _create_assignment(request: ArmRequest) -> ArmReply:
    properties = request.json_object().get("properties")
    if not isinstance(properties, dict):
        raise ValidationError(
            "A role assignment needs 'properties' with 'roleDefinitionId' and 'principalId'."
        )
    principal_id, role = properties.get("principalId"), properties.get("roleDefinitionId")
    if not isinstance(principal_id, str) or not isinstance(role, str):
        raise ValidationError(
            "A role assignment needs 'properties.principalId' and 'properties.roleDefinitionId'."
        )
    principal_type = properties.get("principalType")
    made = role_assignments.create(
        request.platform,
        principal_id,
        role,
        _scope_of(request),
        principal_type if isinstance(principal_type, str) else None,
        name=request.params["name"],
    )
    return ArmReply(_assignment(made), 201)


@router.route("GET", AT_SCOPE + "/roleAssignments/{name}")
def _get_assignment(request: ArmRequest) -> dict[str, Any]:
    return _assignment(role_assignments.get(request.platform, _assignment_id(request)))


@router.route("DELETE", AT_SCOPE + "/roleAssignments/{name}")
def _delete_assignment(request: ArmRequest) -> ArmReply:
    rid = _assignment_id(request)
    found = role_assignments.get(request.platform, rid)
    role_assignments.delete(request.platform, rid)
    return ArmReply(_assignment(found), 200)
