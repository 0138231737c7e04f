"""Workspaces, with the field names of Azure ML's workspace YAML (``az ml workspace``)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import Field, field_validator

from basin.entities._base import Entity

__all__ = ["CustomerManagedKey", "PublicNetworkAccess", "Workspace", "WorkspaceKeys"]


class PublicNetworkAccess(StrEnum):
    ENABLED = "Enabled"
    DISABLED = "Disabled"


class CustomerManagedKey(Entity):
    key_vault: str | None = None
    key_uri: str
    cosmosdb_id: str | None = None
    storage_id: str | None = None
    search_id: str | None = None


class WorkspaceIdentity(Entity):
    type: str = "system_assigned"
    principal_id: str | None = None
    tenant_id: str | None = None


class Workspace(Entity):
    resource_type: ClassVar[str] = "Microsoft.MachineLearningServices/workspaces"
    #: Fields that are set at creation and never change afterwards.
    immutable_fields: ClassVar[tuple[str, ...]] = (
        "hbi_workspace",
        "customer_managed_key",
        "storage_account",
        "container_registry",
        "key_vault",
        "application_insights",
        "location",
    )

    name: str
    id: str | None = None
    location: str | None = None
    resource_group: str | None = None
    display_name: str | None = None
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    hbi_workspace: bool = False
    storage_account: str | None = None
    container_registry: str | None = None
    key_vault: str | None = None
    application_insights: str | None = None
    public_network_access: PublicNetworkAccess = PublicNetworkAccess.ENABLED
    image_build_compute: str | None = None
    customer_managed_key: CustomerManagedKey | None = None
    identity: WorkspaceIdentity | None = None
    mlflow_tracking_uri: str | None = None
    discovery_url: str | None = None
    provisioning_state: str | None = None
    created_at: datetime | None = None
    deleted_at: datetime | None = None

    @field_validator("public_network_access", mode="before")
    @classmethod
    def _pascal_case(cls, value: Any) -> Any:
        # The YAML spells it enabled/disabled; the SDK and the wire use Enabled/Disabled.
        if isinstance(value, str) and value.lower() in ("enabled", "disabled"):
            return value.capitalize()
        return value


class WorkspaceKeys(Entity):
    """What ``az ml workspace list-keys`` returns (the workspace's cached copies)."""

    user_storage_key: str | None = None
    user_storage_resource_id: str | None = None
    container_registry_credentials: dict[str, Any] | None = None
