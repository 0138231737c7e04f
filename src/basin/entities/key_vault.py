"""Key vaults: where a workspace keeps its secrets, and vaults of their own (``basin keyvault``)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import ConfigDict, Field
from pydantic.alias_generators import to_camel

from basin.entities._base import Entity
from basin.entities.arm import ArmResource

__all__ = ["AccessPolicy", "KeyVault", "PolicyPermissions", "vault_uri"]


def vault_uri(name: str) -> str:
    """A vault's data-plane URL: Azure's own, served by basin's forward proxy."""
    return f"https://{name.lower()}.vault.azure.net/"


class _Camel(Entity):
    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, validate_assignment=True, alias_generator=to_camel
    )


class PolicyPermissions(_Camel):
    keys: list[str] = Field(default_factory=list)
    secrets: list[str] = Field(default_factory=list)
    certificates: list[str] = Field(default_factory=list)
    storage: list[str] = Field(default_factory=list)


class AccessPolicy(_Camel):
    """One entry of a vault's access policies (used when RBAC authorization is off)."""

    tenant_id: str
    object_id: str
    permissions: PolicyPermissions = Field(default_factory=PolicyPermissions)


class KeyVault(ArmResource):
    resource_type: ClassVar[str] = "Microsoft.KeyVault/vaults"

    vault_uri: str | None = None
    tenant_id: str | None = None
    #: Data-plane access by Azure roles (az's default today); off: by ``access_policies``.
    enable_rbac_authorization: bool = True
    access_policies: list[AccessPolicy] = Field(default_factory=list)
    enable_soft_delete: bool = True
    soft_delete_retention_in_days: int = Field(default=90, ge=7, le=90)
