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
    from basin.entities.code import (
        Code,
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
        AccessPolicy,
        KeyVault,
        PolicyPermissions,
        vault_uri,
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
    from basin.entities.template_deployment import (
        TemplateDeployment,
    )
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

#: Where each public name is defined.
_WHERE: dict[str, str] = {
    "AccessPolicy": "key_vault",
    "ApplicationInsights": "application_insights",
    "ArmResource": "arm",
    "AuthMode": "endpoint",
    "BuildContext": "environment",
    "Code": "code",
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
    "PolicyPermissions": "key_vault",
    "PrincipalInfo": "principal",
    "ProbeSettings": "deployment",
    "PublicNetworkAccess": "workspace",
    "ResourceGroup": "group",
    "RoleAssignment": "role_assignment",
    "StorageAccount": "storage_account",
    "StorageEndpoints": "storage_account",
    "TemplateDeployment": "template_deployment",
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
    "vault_uri": "key_vault",
}


#: azure-ai-ml entity names basin does not have, with what to use instead. Importing one
#: raises ImportError with this text (not the bare "cannot import name").
_INSTEAD = {
    "KubernetesOnlineEndpoint": (
        "basin runs managed online endpoints only (no Kubernetes compute); use "
        "ManagedOnlineEndpoint"
    ),
    "KubernetesOnlineDeployment": (
        "basin runs managed online deployments only (no Kubernetes compute); use "
        "ManagedOnlineDeployment"
    ),
    "OnlineEndpoint": "use ManagedOnlineEndpoint",
    "OnlineDeployment": "use ManagedOnlineDeployment",
    "TargetUtilizationScaleSettings": (
        "managed deployments have a fixed instance_count; use DefaultScaleSettings"
    ),
    "ModelPackage": "model packages are not supported: deploy the model and environment as is",
    "ModelConfiguration": "model packages are not supported: deploy the model as is",
    "AzureMLOnlineInferencingServer": (
        "model packages are not supported: basin serves every deployment with its runtime"
    ),
    "BaseEnvironment": "model packages are not supported: use Environment",
    "Data": "data assets are not part of basin yet; give local paths or datastore URIs",
    "BatchEndpoint": "batch endpoints are not part of basin yet",
    "BatchDeployment": "batch endpoints are not part of basin yet",
    "ModelBatchDeployment": "batch endpoints are not part of basin yet",
    "AmlCompute": "basin runs deployments on its own compute; no compute targets to create",
    "ComputeInstance": "basin runs deployments on its own compute; no compute targets to create",
    "Job": "jobs are not part of basin yet",
    "CommandJob": "jobs are not part of basin yet",
    "Registry": "registries are not part of basin",
    "ManagedIdentity": "use basin's identities (ManagedIdentityResource) or IdentityConfiguration",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        if name in _INSTEAD:
            raise ImportError(f"basin.entities has no {name}: {_INSTEAD[name]}.")
        raise AttributeError(f"module 'basin.entities' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"basin.entities.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
