"""``<Entity>Operations`` groups, reached as ``ml_client.<entities>`` (loaded on first use)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from basin.sdk.operations.authorization import (
        RoleAssignmentOperations,
        RoleDefinitionOperations,
    )
    from basin.sdk.operations.connections import ConnectionOperations
    from basin.sdk.operations.environments import EnvironmentOperations
    from basin.sdk.operations.groups import ResourceGroupOperations
    from basin.sdk.operations.identities import IdentityOperations
    from basin.sdk.operations.key_vaults import KeyVaultOperations, VaultSecretOperations
    from basin.sdk.operations.models import ModelOperations
    from basin.sdk.operations.online import OnlineDeploymentOperations, OnlineEndpointOperations
    from basin.sdk.operations.principals import PrincipalOperations
    from basin.sdk.operations.storage_accounts import StorageAccountOperations
    from basin.sdk.operations.workspaces import WorkspaceOperations

__all__ = [
    "ConnectionOperations",
    "EnvironmentOperations",
    "IdentityOperations",
    "KeyVaultOperations",
    "ModelOperations",
    "OnlineDeploymentOperations",
    "OnlineEndpointOperations",
    "PrincipalOperations",
    "ResourceGroupOperations",
    "RoleAssignmentOperations",
    "RoleDefinitionOperations",
    "StorageAccountOperations",
    "VaultSecretOperations",
    "WorkspaceOperations",
]

_WHERE = {
    "ConnectionOperations": "connections",
    "EnvironmentOperations": "environments",
    "IdentityOperations": "identities",
    "KeyVaultOperations": "key_vaults",
    "ModelOperations": "models",
    "OnlineDeploymentOperations": "online",
    "OnlineEndpointOperations": "online",
    "PrincipalOperations": "principals",
    "ResourceGroupOperations": "groups",
    "RoleAssignmentOperations": "authorization",
    "RoleDefinitionOperations": "authorization",
    "StorageAccountOperations": "storage_accounts",
    "VaultSecretOperations": "key_vaults",
    "WorkspaceOperations": "workspaces",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'basin.sdk.operations' has no attribute {name!r}")
    return getattr(importlib.import_module(f"basin.sdk.operations.{module}"), name)
