"""``ml_client.role_definitions`` and ``ml_client.role_assignments`` (``az role`` in SDK form)."""

from __future__ import annotations

import uuid
from typing import Any

from basin.entities import RoleAssignment, parse_entity
from basin.sdk.operations._scope import Scope

__all__ = ["RoleAssignmentOperations", "RoleDefinitionOperations"]

AUTH = "/providers/Microsoft.Authorization"


class RoleDefinitionOperations:
    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    def list(self, name: str | None = None) -> list[dict[str, Any]]:
        params = {"name": name} if name else None
        path = self._scope.subscription_path() + AUTH + "/roleDefinitions"
        return list(self._scope.transport.request("GET", path, params=params)["value"])


class RoleAssignmentOperations:
    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    def create(
        self,
        assignee_object_id: str,
        role: str,
        scope: str,
        *,
        assignee_principal_type: str | None = None,
    ) -> RoleAssignment:
        """Assign ``role`` (name or id) to a principal at ``scope`` (a resource id)."""
        path = f"{scope.rstrip('/')}{AUTH}/roleAssignments/{uuid.uuid4()}"
        body = {"principalId": assignee_object_id, "roleDefinitionId": role}
        if assignee_principal_type:
            body["principalType"] = assignee_principal_type
        return parse_entity(RoleAssignment, self._scope.transport.request("PUT", path, json=body))

    def list(
        self,
        *,
        assignee: str | None = None,
        scope: str | None = None,
        role: str | None = None,
        all: bool = False,
    ) -> list[RoleAssignment]:
        params: dict[str, Any] = {
            k: v for k, v in {"assignee": assignee, "scope": scope, "role": role}.items() if v
        }
        if all:
            params["all"] = "true"
        path = self._scope.subscription_path() + AUTH + "/roleAssignments"
        data = self._scope.transport.request("GET", path, params=params)
        return [parse_entity(RoleAssignment, item) for item in data["value"]]

    def delete(self, assignment_id: str) -> None:
        self._scope.transport.request("DELETE", assignment_id)
