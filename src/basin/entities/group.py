"""Resource groups."""

from __future__ import annotations

from typing import ClassVar

from basin.entities.arm import ArmResource

__all__ = ["ResourceGroup"]


class ResourceGroup(ArmResource):
    resource_type: ClassVar[str] = "Microsoft.Resources/resourceGroups"
