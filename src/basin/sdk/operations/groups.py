"""``ml_client.resource_groups`` (an addition to azure-ai-ml: ``az group`` in SDK form)."""

from __future__ import annotations

from basin.entities import ResourceGroup, parse_entity
from basin.sdk.operations._scope import Scope
from basin.sdk.poller import BasinPoller

__all__ = ["ResourceGroupOperations"]


class ResourceGroupOperations:
    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    def _path(self, name: str) -> str:
        return self._scope.group_path(name)

    def create_or_update(
        self, name: str, location: str | None = None, tags: dict[str, str] | None = None
    ) -> ResourceGroup:
        body = {"location": location, "tags": tags}
        data = self._scope.transport.request("PUT", self._path(name), json=body)
        return parse_entity(ResourceGroup, data)

    def get(self, name: str) -> ResourceGroup:
        return parse_entity(ResourceGroup, self._scope.transport.request("GET", self._path(name)))

    def list(self) -> list[ResourceGroup]:
        data = self._scope.transport.request(
            "GET", f"{self._scope.subscription_path()}/resourceGroups"
        )
        return [parse_entity(ResourceGroup, item) for item in data["value"]]

    def begin_delete(self, name: str) -> BasinPoller[None]:
        self._scope.transport.request("DELETE", self._path(name))
        return BasinPoller.completed(None)
