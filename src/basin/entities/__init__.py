"""Resources as typed models with YAML load/dump (no I/O beyond reading the file asked for).

Names load lazily (PEP 562): ``from basin.entities import ResourceGroup`` imports only the
module that defines it, so a CLI command pays for the models it uses, not all of them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from basin.entities._base import (
        Entity,
        apply_overrides,
        apply_params,
        parse_entity,
        parse_overrides,
        read_yaml,
        set_path,
    )
    from basin.entities.application_insights import (
        ApplicationInsights,
    )
    from basin.entities.arm import (
        ArmResource,
    )
    from basin.entities.connection import (
        ConnectionType,
        NoneCredentialConfiguration,
        PatTokenConfiguration,
        UsernamePasswordConfiguration,
        WorkspaceConnection,
    )
    from basin.entities.container_registry import (
        ContainerRegistry,
    )
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
    from basin.entities.environment import (
        BuildContext,
        Environment,
        EnvironmentBuildState,
    )
    from basin.entities.group import (
        ResourceGroup,
    )
    from basin.entities.key_vault import (
        KeyVault,
    )
    from basin.entities.managed_identity import (
        ManagedIdentityResource,
    )
    from basin.entities.model import (
        Model,
        ModelType,
    )
    from basin.entities.principal import (
        PrincipalInfo,
    )
    from basin.entities.role_assignment import (
        RoleAssignment,
    )
    from basin.entities.storage_account import (
        StorageAccount,
        StorageEndpoints,
    )
    from basin.entities.workspace import (
        CustomerManagedKey,
        PublicNetworkAccess,
        Workspace,
        WorkspaceKeys,
    )

__all__ = [
    "ApplicationInsights",
    "ArmResource",
    "AuthMode",
    "BuildContext",
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
    "PrincipalInfo",
    "ProbeSettings",
    "PublicNetworkAccess",
    "ResourceGroup",
    "RoleAssignment",
    "StorageAccount",
    "StorageEndpoints",
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
]

#: Where each public name is defined.
_WHERE: dict[str, str] = {
    "ApplicationInsights": "application_insights",
    "ArmResource": "arm",
    "AuthMode": "endpoint",
    "BuildContext": "environment",
    "CodeConfiguration": "deployment",
    "ConnectionType": "connection",
    "ContainerRegistry": "container_registry",
    "CustomerManagedKey": "workspace",
    "DefaultScaleSettings": "deployment",
    "EndpointAuthKeys": "endpoint",
    "EndpointAuthToken": "endpoint",
    "Entity": "_base",
    "Environment": "environment",
    "EnvironmentBuildState": "environment",
    "IdentityConfiguration": "endpoint",
    "IdentityType": "endpoint",
    "KeyVault": "key_vault",
    "ManagedIdentityConfiguration": "endpoint",
    "ManagedIdentityResource": "managed_identity",
    "ManagedOnlineDeployment": "deployment",
    "ManagedOnlineEndpoint": "endpoint",
    "Model": "model",
    "ModelType": "model",
    "NoneCredentialConfiguration": "connection",
    "OnlineRequestSettings": "deployment",
    "PatTokenConfiguration": "connection",
    "PrincipalInfo": "principal",
    "ProbeSettings": "deployment",
    "PublicNetworkAccess": "workspace",
    "ResourceGroup": "group",
    "RoleAssignment": "role_assignment",
    "StorageAccount": "storage_account",
    "StorageEndpoints": "storage_account",
    "UsernamePasswordConfiguration": "connection",
    "Workspace": "workspace",
    "WorkspaceConnection": "connection",
    "WorkspaceKeys": "workspace",
    "apply_overrides": "_base",
    "apply_params": "_base",
    "parse_entity": "_base",
    "parse_overrides": "_base",
    "read_yaml": "_base",
    "set_path": "_base",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'basin.entities' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"basin.entities.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
