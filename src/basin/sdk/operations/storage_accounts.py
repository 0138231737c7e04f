"""``ml_client.storage_accounts`` (an addition: ``az storage account`` in SDK form)."""

from __future__ import annotations

import builtins
from typing import Any

from basin.entities import StorageAccount, parse_entity
from basin.errors import NotFoundError
from basin.ids import ResourceId
from basin.sdk.operations._scope import Scope
from basin.sdk.poller import BasinPoller

__all__ = ["StorageAccountOperations"]

ACCOUNTS = "/providers/Microsoft.Storage/storageAccounts"


class StorageAccountOperations:
    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    def _path(self, name: str, group: str | None) -> str:
        return f"{self._scope.group_path(group)}{ACCOUNTS}/{name}"

    def begin_create(
        self,
        name: str,
        *,
        resource_group: str | None = None,
        tags: dict[str, str] | None = None,
        location: str | None = None,
    ) -> BasinPoller[StorageAccount]:
        body: dict[str, Any] = {"tags": tags}
        if location:
            body["location"] = location
        data = self._scope.transport.request("PUT", self._path(name, resource_group), json=body)
        return BasinPoller.completed(parse_entity(StorageAccount, data))

    def get(self, name: str, *, resource_group: str | None = None) -> StorageAccount:
        data = self._scope.transport.request("GET", self._path(name, resource_group))
        return parse_entity(StorageAccount, data)

    def list(self, *, resource_group: str | None = None) -> list[StorageAccount]:
        scope = self._scope
        base = (
            scope.group_path(resource_group)
            if (resource_group or scope.resource_group_name)
            else scope.subscription_path()
        )
        data = scope.transport.request("GET", base + ACCOUNTS)
        return [parse_entity(StorageAccount, item) for item in data["value"]]

    def begin_delete(self, name: str, *, resource_group: str | None = None) -> BasinPoller[None]:
        self._scope.transport.request("DELETE", self._path(name, resource_group))
        return BasinPoller.completed(None)

    def list_keys(
        self, name: str, *, resource_group: str | None = None
    ) -> builtins.list[dict[str, str]]:
        data = self._scope.transport.request("POST", self._path(name, resource_group) + "/listKeys")
        return list(data["keys"])

    def find(self, name: str) -> StorageAccount:
        """The account named ``name`` in whatever group it is: account names are unique, as in
        Azure, so the data commands need no group."""
        data = self._scope.transport.request("GET", self._scope.subscription_path() + ACCOUNTS)
        for item in data["value"]:
            if str(item.get("name", "")).lower() == name.lower():
                return parse_entity(StorageAccount, item)
        raise NotFoundError(f"Storage account '{name}' was not found.")

    def get_blob_service_client(self, name: str, *, resource_group: str | None = None) -> Any:
        """An ``azure.storage.blob.BlobServiceClient`` for the account, with its key, trusting
        basin's certificate authority. Without ``resource_group`` the account is found by name."""
        from azure.storage.blob import BlobServiceClient

        if resource_group:
            account = self.get(name, resource_group=resource_group)
        else:
            account = self.find(name)
            assert account.id is not None
            resource_group = ResourceId.parse(account.id).resource_group
        key = self.list_keys(name, resource_group=resource_group)[0]["value"]
        verify: Any = self._scope.transport.connection.ca_file or True
        return BlobServiceClient(
            account.primary_endpoints.blob or "",
            credential={"account_name": name, "account_key": key},
            connection_verify=verify,
        )

    def regenerate_key(
        self, name: str, key_name: str, *, resource_group: str | None = None
    ) -> builtins.list[dict[str, str]]:
        data = self._scope.transport.request(
            "POST", self._path(name, resource_group) + "/regenerateKey", json={"keyName": key_name}
        )
        return list(data["keys"])
