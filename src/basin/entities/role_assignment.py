"""Role assignments (``az role assignment``): a principal holds a role at a scope."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import ConfigDict
from pydantic.alias_generators import to_camel

from basin.entities._base import Entity

__all__ = ["RoleAssignment"]


class RoleAssignment(Entity):
    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, validate_assignment=True, alias_generator=to_camel
    )
    resource_type: ClassVar[str] = "Microsoft.Authorization/roleAssignments"

    id: str | None = None
    name: str
    type: str = "Microsoft.Authorization/roleAssignments"
    principal_id: str
    principal_type: str = "ServicePrincipal"
    role_definition_id: str
    role_definition_name: str | None = None
    scope: str
    created_on: datetime | None = None
