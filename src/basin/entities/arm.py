"""Resources in the shape of Azure Resource Manager (camelCase keys, as ``az`` prints them)."""

from __future__ import annotations

from pydantic import ConfigDict, Field
from pydantic.alias_generators import to_camel

from basin.entities._base import Entity

__all__ = ["ArmResource"]


class ArmResource(Entity):
    """Fields every ARM resource has; subclasses add their ``properties``."""

    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, validate_assignment=True, alias_generator=to_camel
    )

    id: str | None = None
    name: str
    type: str | None = None
    location: str | None = None
    resource_group: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    provisioning_state: str | None = None
