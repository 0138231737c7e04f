"""What every operations group shares: the transport and the client's default scope."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from basin.errors import ValidationError
from basin.ids import validate_name
from basin.sdk._http import Transport

__all__ = ["Scope"]


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
