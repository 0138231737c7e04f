"""``MLClient``: azure-ai-ml's entry point, talking to a basin server."""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from basin.errors import ValidationError
from basin.sdk._connection import resolve_connection
from basin.sdk._http import Transport
from basin.sdk.operations._scope import Scope
from basin.sdk.poller import BasinPoller

if TYPE_CHECKING:
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
        self._transport = Transport(lambda: resolve_connection(server, token))
        self._subscription_id = subscription_id
        self._registry_name = registry_name
        self.resource_group_name = resource_group_name
        self.workspace_name = workspace_name
        self._scope = Scope(
            self._transport, self._subscription, resource_group_name, workspace_name
        )

    # The operations groups are made on first use: each imports its entities, and a CLI
    # command should pay only for the group it calls.
    @cached_property
    def resource_groups(self) -> ResourceGroupOperations:
        from basin.sdk.operations.groups import ResourceGroupOperations

        return ResourceGroupOperations(self._scope)

    @cached_property
    def workspaces(self) -> WorkspaceOperations:
        from basin.sdk.operations.workspaces import WorkspaceOperations

        return WorkspaceOperations(self._scope)

    @cached_property
    def storage_accounts(self) -> StorageAccountOperations:
        from basin.sdk.operations.storage_accounts import StorageAccountOperations

        return StorageAccountOperations(self._scope)

    @cached_property
    def key_vaults(self) -> KeyVaultOperations:
        from basin.sdk.operations.key_vaults import KeyVaultOperations

        return KeyVaultOperations(self._scope)

    @cached_property
    def vault_secrets(self) -> VaultSecretOperations:
        from basin.sdk.operations.key_vaults import VaultSecretOperations

        return VaultSecretOperations(self._scope, lambda: self.info)

    @cached_property
    def identities(self) -> IdentityOperations:
        from basin.sdk.operations.identities import IdentityOperations

        return IdentityOperations(self._scope)

    @cached_property
    def role_definitions(self) -> RoleDefinitionOperations:
        from basin.sdk.operations.authorization import RoleDefinitionOperations

        return RoleDefinitionOperations(self._scope)

    @cached_property
    def role_assignments(self) -> RoleAssignmentOperations:
        from basin.sdk.operations.authorization import RoleAssignmentOperations

        return RoleAssignmentOperations(self._scope)

    @cached_property
    def principals(self) -> PrincipalOperations:
        from basin.sdk.operations.principals import PrincipalOperations

        return PrincipalOperations(self._scope)

    @cached_property
    def models(self) -> ModelOperations:
        from basin.sdk.operations.models import ModelOperations

        return ModelOperations(self._scope)

    @cached_property
    def connections(self) -> ConnectionOperations:
        from basin.sdk.operations.connections import ConnectionOperations

        return ConnectionOperations(self._scope)

    @cached_property
    def environments(self) -> EnvironmentOperations:
        from basin.sdk.operations.environments import EnvironmentOperations

        return EnvironmentOperations(self._scope, self._registry_name)

    @cached_property
    def online_endpoints(self) -> OnlineEndpointOperations:
        from basin.sdk.operations.online import OnlineEndpointOperations

        return OnlineEndpointOperations(self._scope)

    @cached_property
    def online_deployments(self) -> OnlineDeploymentOperations:
        from basin.sdk.operations.online import OnlineDeploymentOperations

        return OnlineDeploymentOperations(self._scope)

    # ------------------------------------------------------------- azure-ai-ml's generic verbs
    def begin_create_or_update(self, entity: Any, **kwargs: Any) -> BasinPoller[Any]:
        """Create or update any entity, as ``MLClient.begin_create_or_update`` does: a
        workspace, endpoint, deployment, model, environment, connection (and basin's resource
        groups, storage accounts and identities). Failures of the operation raise from
        ``.result()``."""
        from basin.sdk._dispatch import begin_create_or_update

        return begin_create_or_update(self, entity, **kwargs)

    def create_or_update(self, entity: Any, **kwargs: Any) -> Any:
        """Create or update any entity and return it once done (``begin_…().result()``)."""
        return self.begin_create_or_update(entity, **kwargs).result()

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
        if "vault_secrets" in self.__dict__:  # made only if it was used
            self.vault_secrets.close()
        self._transport.close()

    def __enter__(self) -> MLClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
