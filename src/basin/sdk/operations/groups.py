"""``ml_client.resource_groups`` (an addition to azure-ai-ml: ``az group`` in SDK form)."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

from basin.sdk.operations._scope import Scope, parse
from basin.sdk.poller import BasinPoller

if TYPE_CHECKING:
    from basin.entities import ResourceGroup

__all__ = ["ResourceGroupOperations"]


def _entity() -> type[ResourceGroup]:
    from basin.entities import ResourceGroup

    return ResourceGroup


class ResourceGroupOperations:
    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    def _path(self, name: str) -> str:
        return self._scope.group_path(name)

    def create_or_update(
        self,
        name: str | ResourceGroup,
        location: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> ResourceGroup:
        if not isinstance(name, str):  # a ResourceGroup entity
            group = name
            return self.create_or_update(group.name, location or group.location, tags or group.tags)
        return parse(_entity(), self.create_or_update_data(name, location, tags))

    def create_or_update_data(
        self, name: str, location: str | None = None, tags: dict[str, str] | None = None
    ) -> dict[str, Any]:
        body = {"location": location, "tags": tags}
        data: dict[str, Any] = self._scope.transport.request("PUT", self._path(name), json=body)
        return data

    def get(self, name: str) -> ResourceGroup:
        return parse(_entity(), self.get_data(name))

    def get_data(self, name: str) -> dict[str, Any]:
        data: dict[str, Any] = self._scope.transport.request("GET", self._path(name))
        return data

    def list(self) -> list[ResourceGroup]:
        return [parse(_entity(), item) for item in self.list_data()]

    def list_data(self) -> builtins.list[dict[str, Any]]:
        data = self._scope.transport.request(
            "GET", f"{self._scope.subscription_path()}/resourceGroups"
        )
        return list(data["value"])

    def begin_delete(self, name: str) -> BasinPoller[None]:
        self._scope.transport.request("DELETE", self._path(name))
        return BasinPoller.completed(None)
