"""``ml_client.role_definitions`` and ``ml_client.role_assignments`` (``az role`` in SDK form)."""

from __future__ import annotations

import uuid
from typing import Any

from basin.entities import RoleAssignment, parse_entity
from basin.errors import BasinError, ConflictError, NotFoundError, ValidationError
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
        assignee_object_id: str | None,
        role: str,
        scope: str,
        *,
        assignee_principal_type: str | None = None,
        assignee: str | None = None,
    ) -> RoleAssignment:
        """Assign ``role`` (name or id) to a principal at ``scope`` (a resource id).

        The principal is its object id, or ``assignee``: an object id, an app (client) id, or
        the name of a user, service principal or user-assigned identity, as az takes it. The
        same assignment again returns the one that exists (as az does), not a conflict."""
        principal = assignee_object_id or self.resolve_assignee(assignee)
        # A name made from what is assigned: the same assignment again is the same PUT, which
        # the server answers with the assignment it has.
        name = uuid.uuid5(
            uuid.NAMESPACE_URL, f"{principal}|{role.lower()}|{scope.rstrip('/').lower()}"
        )
        path = f"{scope.rstrip('/')}{AUTH}/roleAssignments/{name}"
        body = {"principalId": principal, "roleDefinitionId": role}
        if assignee_principal_type:
            body["principalType"] = assignee_principal_type
        try:
            data = self._scope.transport.request("PUT", path, json=body)
        except ConflictError:
            # Made another way (another name): return it when the caller may list it.
            try:
                found = self.list(assignee=principal, scope=scope, role=role)
            except BasinError:
                found = []
            if found:
                return found[0]
            raise
        return parse_entity(RoleAssignment, data)

    def resolve_assignee(self, assignee: str | None) -> str:
        """The object id of ``assignee`` (an object id, app id, or a name)."""
        if not assignee:
            raise ValidationError(
                "Give --assignee (object id, app id or name) or --assignee-object-id."
            )
        wanted = assignee.lower()
        found: dict[str, str] = {}
        principals = self._scope.transport.request("GET", "/basin/principals")["value"]
        for item in principals:
            keys = (item.get("id"), item.get("appId"), item.get("displayName"))
            if wanted in (str(k).lower() for k in keys if k):
                found[str(item["id"])] = str(item.get("displayName"))
        identities = self._scope.transport.request(
            "GET",
            self._scope.subscription_path()
            + "/providers/Microsoft.ManagedIdentity/userAssignedIdentities",
        )["value"]
        for item in identities:
            props = item.get("properties") or item
            keys = (props.get("principalId"), props.get("clientId"), item.get("name"))
            if wanted in (str(k).lower() for k in keys if k):
                found[str(props["principalId"])] = str(item.get("name"))
        if len(found) == 1:
            return next(iter(found))
        if not found:
            raise NotFoundError(
                f"No user, service principal or managed identity is called '{assignee}' or has "
                "it as object id or app id."
            )
        raise ValidationError(
            f"'{assignee}' names several principals ({', '.join(sorted(found.values()))}): "
            "use --assignee-object-id."
        )

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
