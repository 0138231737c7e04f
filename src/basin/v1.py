"""The few names of Azure ML's v1 SDK (``azureml.core``) that the private-package docs use.

from basin.v1 import Environment, Workspace   # was: from azureml.core import ...

ws = Workspace.from_config()
ws.set_connection(name="feed", category="PythonFeed", target=url, authType="PAT", value=pat)
url = Environment.add_private_pip_wheel(workspace=ws, file_path="my_pkg-1.0-py3-none-any.whl")
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from basin.entities import (
    PatTokenConfiguration,
    UsernamePasswordConfiguration,
    WorkspaceConnection,
)
from basin.errors import ValidationError
from basin.sdk import MLClient

__all__ = ["Environment", "Workspace"]


class Workspace:
    """A v1 workspace handle: a name, its group, and a client bound to it."""

    def __init__(
        self, subscription_id: str | None, resource_group: str, workspace_name: str, **kwargs: Any
    ) -> None:
        self.name = workspace_name
        self.resource_group = resource_group
        self.client = MLClient(None, subscription_id, resource_group, workspace_name, **kwargs)
        self.client.workspaces.get(workspace_name)  # it must exist, as in azureml-core
        self.subscription_id = self.client.subscription_id

    @classmethod
    def get(
        cls,
        name: str,
        subscription_id: str | None = None,
        resource_group: str | None = None,
        **kwargs: Any,
    ) -> Workspace:
        if not resource_group:
            raise ValidationError("Workspace.get needs resource_group=.")
        return cls(subscription_id, resource_group, name, **kwargs)

    @classmethod
    def from_config(cls, path: str | Path | None = None, **kwargs: Any) -> Workspace:
        client = MLClient.from_config(path=path)
        group, name = client.resource_group_name, client.workspace_name
        client.close()
        if not group or not name:
            raise ValidationError("config.json needs resource_group and workspace_name.")
        return cls(None, group, name, **kwargs)

    def set_connection(
        self, name: str, category: str, target: str, authType: str, value: str
    ) -> WorkspaceConnection:
        """``authType`` PAT (value = the token) or UsernamePassword (value = ``user:password``)."""
        if authType.lower() == "pat":
            credentials: Any = PatTokenConfiguration(pat=value)
        elif authType.lower() in ("usernamepassword", "username_password"):
            user, _, password = value.partition(":")
            credentials = UsernamePasswordConfiguration(username=user, password=password)
        else:
            raise ValidationError(f"authType must be PAT or UsernamePassword, not '{authType}'.")
        connection = WorkspaceConnection.model_validate(
            {
                "name": name,
                "type": category,
                "target": target,
                "credentials": credentials.model_dump(),
            }
        )
        return self.client.connections.create_or_update(connection)


class Environment:
    """Only the static ``add_private_pip_wheel`` of v1's Environment."""

    @staticmethod
    def add_private_pip_wheel(
        workspace: Workspace, file_path: str | Path, exist_ok: bool = False
    ) -> str:
        """Upload a wheel into the workspace; returns the URL to list in the pip dependencies."""
        name = Path(file_path).name
        if not exist_ok and any(
            w["filename"] == name for w in workspace.client.environments.list_wheels()
        ):
            raise ValidationError(
                f"A wheel named '{name}' was uploaded already; pass exist_ok=True to reuse it."
            )
        return workspace.client.environments.add_private_pip_wheel(file_path)
