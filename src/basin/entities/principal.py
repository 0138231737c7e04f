"""Users and service principals a team shares a server with (``az ad sp`` in basin's terms)."""

from __future__ import annotations

from pydantic import ConfigDict
from pydantic.alias_generators import to_camel

from basin.entities._base import Entity

__all__ = ["PrincipalInfo"]


class PrincipalInfo(Entity):
    """A principal as shown to users; ``password`` is set only in the answer to its creation."""

    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, validate_assignment=True, alias_generator=to_camel
    )

    id: str
    app_id: str
    display_name: str
    principal_type: str
    tenant: str | None = None
    password: str | None = None
