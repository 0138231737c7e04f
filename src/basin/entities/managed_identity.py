"""User-assigned managed identities (``az identity``)."""

from __future__ import annotations

from typing import ClassVar

from basin.entities.arm import ArmResource

__all__ = ["ManagedIdentityResource"]


class ManagedIdentityResource(ArmResource):
    resource_type: ClassVar[str] = "Microsoft.ManagedIdentity/userAssignedIdentities"

    principal_id: str | None = None
    client_id: str | None = None
    tenant_id: str | None = None
