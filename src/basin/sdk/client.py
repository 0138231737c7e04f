"""``MLClient``: azure-ai-ml's entry point, talking to a basin server."""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Any

from basin.errors import ValidationError
from basin.sdk._connection import resolve_connection
from basin.sdk._http import Transport
from basin.sdk.operations import (
    ConnectionOperations,
    EnvironmentOperations,
    IdentityOperations,
    KeyVaultOperations,
    ModelOperations,
    OnlineDeploymentOperations,
    OnlineEndpointOperations,
    PrincipalOperations,
    ResourceGroupOperations,
    RoleAssignmentOperations,
    RoleDefinitionOperations,
    StorageAccountOperations,
    VaultSecretOperations,
    WorkspaceOperations,
)
from basin.sdk.operations._scope import Scope

__all__ = ["MLClient"]

_CONFIG_FOLDERS = ("", ".azureml", "aml_config")


class MLClient:
    """``MLClient(credential, subscription_id, resource_group_name, workspace_name)``.

    ``credential`` may be ``None`` or any object (an ``azure.identity`` credential included):
    basin finds its own credential the way the CLI does, unless ``token=`` is given. ``server=``
    names the server (default: ``BASIN_SERVER`` or the local server's credentials file).
    """

    def __init__(
        self,
        credential: Any = None,
        subscription_id: str | None = None,
        resource_group_name: str | None = None,
        workspace_name: str | None = None,
        *,
        server: str | None = None,
        token: str | None = None,
        registry_name: str | None = None,
        **_kwargs: Any,
    ) -> None:
        if token is None and isinstance(credential, str):
            token = credential
        self._transport = Transport(resolve_connection(server, token))
        self._subscription_id = subscription_id
        self.resource_group_name = resource_group_name
        self.workspace_name = workspace_name
        scope = Scope(self._transport, self._subscription, resource_group_name, workspace_name)
        self.resource_groups = ResourceGroupOperations(scope)
        self.workspaces = WorkspaceOperations(scope)
        self.storage_accounts = StorageAccountOperations(scope)
        self.key_vaults = KeyVaultOperations(scope)
        self.vault_secrets = VaultSecretOperations(scope, lambda: self.info)
        self.identities = IdentityOperations(scope)
        self.role_definitions = RoleDefinitionOperations(scope)
        self.role_assignments = RoleAssignmentOperations(scope)
        self.principals = PrincipalOperations(scope)
        self.models = ModelOperations(scope)
        self.connections = ConnectionOperations(scope)
        self.environments = EnvironmentOperations(scope, registry_name)
        self.online_endpoints = OnlineEndpointOperations(scope)
        self.online_deployments = OnlineDeploymentOperations(scope)

    @property
    def subscription_id(self) -> str:
        return self._subscription()

    def _subscription(self) -> str:
        if self._subscription_id is None:
            self._subscription_id = str(self.info["subscription_id"])
        return self._subscription_id

    @cached_property
    def info(self) -> dict[str, Any]:
        """What the server says about itself (subscription, tenant, endpoints, caller)."""
        data: dict[str, Any] = self._transport.request("GET", "/basin/info")
        return data

    @property
    def server(self) -> str:
        return self._transport.connection.server

    @classmethod
    def from_config(
        cls,
        credential: Any = None,
        *,
        path: str | Path | None = None,
        file_name: str | None = None,
        **kwargs: Any,
    ) -> MLClient:
        """Read ``config.json`` (``subscription_id``, ``resource_group``, ``workspace_name``)
        from ``path`` (default: the current folder), its ``.azureml``/``aml_config`` folders, or
        a parent folder, as azure-ai-ml does."""
        start = Path(path or ".").resolve()
        if start.is_file():
            candidates = [start]
        else:
            name = file_name or "config.json"
            candidates = [
                folder / sub / name for folder in (start, *start.parents) for sub in _CONFIG_FOLDERS
            ]
        for candidate in candidates:
            if candidate.is_file():
                config = json.loads(candidate.read_text())
                return cls(
                    credential,
                    config.get("subscription_id"),
                    config.get("resource_group"),
                    config.get("workspace_name"),
                    **kwargs,
                )
        raise ValidationError(
            f"No {file_name or 'config.json'} found in {start}, its .azureml or aml_config "
            "folders, or any parent folder."
        )

    def close(self) -> None:
        self.vault_secrets.close()
        self._transport.close()

    def __enter__(self) -> MLClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
