"""``<Entity>Operations`` groups, reached as ``ml_client.<entities>``."""

from basin.sdk.operations.authorization import RoleAssignmentOperations, RoleDefinitionOperations
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
