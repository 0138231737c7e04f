"""Resources as typed models with YAML load/dump (no I/O beyond reading the file asked for)."""

from basin.entities._base import (
    Entity,
    apply_overrides,
    apply_params,
    parse_entity,
    parse_overrides,
    read_yaml,
    set_path,
)
from basin.entities.application_insights import ApplicationInsights
from basin.entities.arm import ArmResource
from basin.entities.code import Code
from basin.entities.connection import (
    ConnectionType,
    NoneCredentialConfiguration,
    PatTokenConfiguration,
    UsernamePasswordConfiguration,
    WorkspaceConnection,
)
from basin.entities.container_registry import ContainerRegistry
from basin.entities.deployment import (
    CodeConfiguration,
    DefaultScaleSettings,
    ManagedOnlineDeployment,
    OnlineRequestSettings,
    ProbeSettings,
)
from basin.entities.endpoint import (
    AuthMode,
    EndpointAuthKeys,
    EndpointAuthToken,
    IdentityConfiguration,
    IdentityType,
    ManagedIdentityConfiguration,
    ManagedOnlineEndpoint,
)
from basin.entities.environment import BuildContext, Environment, EnvironmentBuildState
from basin.entities.group import ResourceGroup
from basin.entities.key_vault import AccessPolicy, KeyVault, PolicyPermissions, vault_uri
from basin.entities.managed_identity import ManagedIdentityResource
from basin.entities.model import Model, ModelType
from basin.entities.principal import PrincipalInfo
from basin.entities.role_assignment import RoleAssignment
from basin.entities.storage_account import StorageAccount, StorageEndpoints
from basin.entities.template_deployment import TemplateDeployment
from basin.entities.workspace import (
    CustomerManagedKey,
    PublicNetworkAccess,
    Workspace,
    WorkspaceKeys,
)

__all__ = [
    "AccessPolicy",
    "ApplicationInsights",
    "ArmResource",
    "AuthMode",
    "BuildContext",
    "Code",
    "CodeConfiguration",
    "ConnectionType",
    "ContainerRegistry",
    "CustomerManagedKey",
    "DefaultScaleSettings",
    "EndpointAuthKeys",
    "EndpointAuthToken",
    "Entity",
    "Environment",
    "EnvironmentBuildState",
    "IdentityConfiguration",
    "IdentityType",
    "KeyVault",
    "ManagedIdentityConfiguration",
    "ManagedIdentityResource",
    "ManagedOnlineDeployment",
    "ManagedOnlineEndpoint",
    "Model",
    "ModelType",
    "NoneCredentialConfiguration",
    "OnlineRequestSettings",
    "PatTokenConfiguration",
    "PolicyPermissions",
    "PrincipalInfo",
    "ProbeSettings",
    "PublicNetworkAccess",
    "ResourceGroup",
    "RoleAssignment",
    "StorageAccount",
    "StorageEndpoints",
    "TemplateDeployment",
    "UsernamePasswordConfiguration",
    "Workspace",
    "WorkspaceConnection",
    "WorkspaceKeys",
    "apply_overrides",
    "apply_params",
    "parse_entity",
    "parse_overrides",
    "read_yaml",
    "set_path",
    "vault_uri",
]
