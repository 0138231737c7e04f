"""``ml_client.connections``, with azure-ai-ml's method names."""

from __future__ import annotations

from typing import Any

from basin.entities import WorkspaceConnection, parse_entity
from basin.ids import validate_name
from basin.sdk.operations._scope import Scope

__all__ = ["ConnectionOperations"]


class ConnectionOperations:
    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    def _base(self) -> str:
        workspace = self._scope.workspace()
        return f"{self._scope.group_path()}/providers/Microsoft.MachineLearningServices/workspaces/{workspace}/connections"

    def create_or_update(
        self, workspace_connection: WorkspaceConnection, **_: Any
    ) -> WorkspaceConnection:
        """Create or replace a connection; the secret is sealed on the server and not returned."""
        body = workspace_connection.model_dump(mode="json", exclude_none=True, exclude={"id"})
        data = self._scope.transport.request(
            "PUT", f"{self._base()}/{validate_name('asset', workspace_connection.name)}", json=body
        )
        return parse_entity(WorkspaceConnection, data)

    def get(self, name: str, **_: Any) -> WorkspaceConnection:
        """The connection; its secret is never returned (``populate_secrets`` is not honoured)."""
        return parse_entity(
            WorkspaceConnection,
            self._scope.transport.request("GET", f"{self._base()}/{validate_name('asset', name)}"),
        )

    def list(self, connection_type: str | None = None, **_: Any) -> list[WorkspaceConnection]:
        params = {"type": connection_type} if connection_type else None
        data = self._scope.transport.request("GET", self._base(), params=params)
        return [parse_entity(WorkspaceConnection, item) for item in data["value"]]

    def delete(self, name: str) -> None:
        self._scope.transport.request("DELETE", f"{self._base()}/{validate_name('asset', name)}")
