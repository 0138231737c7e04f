"""What every operations group shares: the transport and the client's default scope."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from basin.errors import ValidationError
from basin.ids import validate_name
from basin.sdk._http import Transport

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = ["Scope", "parse"]

M = TypeVar("M", bound="BaseModel")


def parse(cls: type[M], data: Any) -> M:
    """``data`` (what the server sent) as the entity ``cls``; entities are imported only by the
    methods that return them, so the JSON-returning ones (``*_data``, what the CLI prints)
    never load pydantic."""
    from basin.entities import parse_entity

    return parse_entity(cls, data)


@dataclass
class Scope:
    transport: Transport
    subscription: Callable[[], str]
    resource_group_name: str | None = None
    workspace_name: str | None = None

    def subscription_path(self) -> str:
        return f"/subscriptions/{self.subscription()}"

    def group(self, group: str | None = None) -> str:
        group = group or self.resource_group_name
        if not group:
            raise ValidationError(
                "A resource group is needed: pass resource_group_name to MLClient, -g to the CLI, "
                "or set a default with 'basin configure --defaults group=<name>'."
            )
        return validate_name("resource group", group)

    def group_path(self, group: str | None = None) -> str:
        return f"{self.subscription_path()}/resourceGroups/{self.group(group)}"

    def workspace(self, name: str | None = None) -> str:
        name = name or self.workspace_name
        if not name:
            raise ValidationError(
                "A workspace is needed: pass workspace_name to MLClient, -w to the CLI, or set "
                "a default with 'basin configure --defaults workspace=<name>'."
            )
        return validate_name("workspace", name)
