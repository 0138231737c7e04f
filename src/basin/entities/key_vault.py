"""Key vaults (where a workspace keeps its secrets)."""

from __future__ import annotations

from typing import ClassVar

from basin.entities.arm import ArmResource

__all__ = ["KeyVault"]


class KeyVault(ArmResource):
    resource_type: ClassVar[str] = "Microsoft.KeyVault/vaults"

    vault_uri: str | None = None
