"""Storage accounts (the default datastore of a workspace; blobs live in one)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from basin.entities._base import Entity
from basin.entities.arm import ArmResource

__all__ = ["StorageAccount", "StorageEndpoints"]


class StorageEndpoints(Entity):
    blob: str | None = None


class StorageAccount(ArmResource):
    resource_type: ClassVar[str] = "Microsoft.Storage/storageAccounts"

    kind: str = "StorageV2"
    sku: dict[str, str] = Field(default_factory=lambda: {"name": "Standard_LRS"})
    primary_endpoints: StorageEndpoints = Field(default_factory=StorageEndpoints)
