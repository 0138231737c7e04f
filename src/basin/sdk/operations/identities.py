"""``ml_client.identities``: user-assigned managed identities (``az identity`` in SDK form)."""

from __future__ import annotations

from typing import Any

from basin.entities import ManagedIdentityResource, parse_entity
from basin.sdk.operations._scope import Scope
from basin.sdk.poller import BasinPoller

__all__ = ["IdentityOperations"]

IDENTITIES = "/providers/Microsoft.ManagedIdentity/userAssignedIdentities"


class IdentityOperations:
    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    def _path(self, name: str, group: str | None) -> str:
        return f"{self._scope.group_path(group)}{IDENTITIES}/{name}"

    def begin_create(
        self,
        name: str,
        *,
        resource_group: str | None = None,
        tags: dict[str, str] | None = None,
        location: str | None = None,
    ) -> BasinPoller[ManagedIdentityResource]:
        body: dict[str, Any] = {"tags": tags}
        if location:
            body["location"] = location
        data = self._scope.transport.request("PUT", self._path(name, resource_group), json=body)
        return BasinPoller.completed(parse_entity(ManagedIdentityResource, data))

    def get(self, name: str, *, resource_group: str | None = None) -> ManagedIdentityResource:
        data = self._scope.transport.request("GET", self._path(name, resource_group))
        return parse_entity(ManagedIdentityResource, data)

    def list(self, *, resource_group: str | None = None) -> list[ManagedIdentityResource]:
        scope = self._scope
        in_group = resource_group or scope.resource_group_name
        base = scope.group_path(resource_group) if in_group else scope.subscription_path()
        data = scope.transport.request("GET", base + IDENTITIES)
        return [parse_entity(ManagedIdentityResource, item) for item in data["value"]]

    def begin_delete(self, name: str, *, resource_group: str | None = None) -> BasinPoller[None]:
        self._scope.transport.request("DELETE", self._path(name, resource_group))
        return BasinPoller.completed(None)
