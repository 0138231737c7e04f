"""Environment registries (Azure's "container registry" of a workspace)."""

from __future__ import annotations

from typing import ClassVar

from basin.entities.arm import ArmResource

__all__ = ["ContainerRegistry"]


class ContainerRegistry(ArmResource):
    resource_type: ClassVar[str] = "Microsoft.ContainerRegistry/registries"

    login_server: str | None = None
