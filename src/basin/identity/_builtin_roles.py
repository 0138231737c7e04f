"""Azure's built-in role definitions that basin honours, with Azure's GUIDs and permissions.

Transcribed from Azure's generated built-in role reference (learn.microsoft.com,
"Azure built-in roles" by category: Privileged, General, Storage, Containers, Security,
AI + machine learning). The GUIDs are the same in every Azure cloud, so scripts and templates
that name a role by id keep working against basin.
"""

from __future__ import annotations

from basin.identity.roles import Permission, RoleDefinition

__all__ = ["BUILTIN_ROLES"]

_BLOB_CONTAINERS = "Microsoft.Storage/storageAccounts/blobServices/containers"
_USER_DELEGATION_KEY = (
    "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action"
)
_ML_WS = "Microsoft.MachineLearningServices/workspaces"
_KV_MANAGEMENT_READ = (
    "Microsoft.Authorization/*/read",
    "Microsoft.Insights/alertRules/*",
    "Microsoft.Resources/deployments/*",
    "Microsoft.Resources/subscriptions/resourceGroups/read",
    "Microsoft.Support/*",
    "Microsoft.KeyVault/checkNameAvailability/read",
    "Microsoft.KeyVault/deletedVaults/read",
    "Microsoft.KeyVault/locations/*/read",
    "Microsoft.KeyVault/vaults/*/read",
    "Microsoft.KeyVault/operations/read",
)

BUILTIN_ROLES: tuple[RoleDefinition, ...] = (
    RoleDefinition(
        name="8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
        role_name="Owner",
        description=(
            "Grants full access to manage all resources, including the ability to assign roles "
            "in Azure RBAC."
        ),
        permissions=(Permission(actions=("*",)),),
    ),
    RoleDefinition(
        name="b24988ac-6180-42a0-ab88-20f7382dd24c",
        role_name="Contributor",
        description=(
            "Grants full access to manage all resources, but does not allow you to assign roles "
            "in Azure RBAC, manage assignments in Azure Blueprints, or share image galleries."
        ),
        permissions=(
            Permission(
                actions=("*",),
                not_actions=(
                    "Microsoft.Authorization/*/Delete",
                    "Microsoft.Authorization/*/Write",
                    "Microsoft.Authorization/elevateAccess/Action",
                    "Microsoft.Blueprint/blueprintAssignments/write",
                    "Microsoft.Blueprint/blueprintAssignments/delete",
                    "Microsoft.Compute/galleries/share/action",
                    "Microsoft.Purview/consents/write",
                    "Microsoft.Purview/consents/delete",
                    "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
                    "Microsoft.Subscription/cancel/action",
                    "Microsoft.Subscription/enable/action",
                ),
            ),
        ),
    ),
    RoleDefinition(
        name="acdd72a7-3385-48ef-bd42-f606fba81ae7",
        role_name="Reader",
        description="View all resources, but does not allow you to make any changes.",
        permissions=(Permission(actions=("*/read",)),),
    ),
    RoleDefinition(
        name="18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
        role_name="User Access Administrator",
        description="Lets you manage user access to Azure resources.",
        permissions=(
            Permission(actions=("*/read", "Microsoft.Authorization/*", "Microsoft.Support/*")),
        ),
    ),
    RoleDefinition(
        name="b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
        role_name="Storage Blob Data Owner",
        description=(
            "Allows for full access to Azure Storage blob containers and data, including "
            "assigning POSIX access control."
        ),
        permissions=(
            Permission(
                actions=(f"{_BLOB_CONTAINERS}/*", _USER_DELEGATION_KEY),
                data_actions=(f"{_BLOB_CONTAINERS}/blobs/*",),
            ),
        ),
    ),
    RoleDefinition(
        name="ba92f5b4-2d11-453d-a403-e96b0029c9fe",
        role_name="Storage Blob Data Contributor",
        description=(
            "Allows for read, write and delete access to Azure Storage blob containers and data"
        ),
        permissions=(
            Permission(
                actions=(
                    f"{_BLOB_CONTAINERS}/delete",
                    f"{_BLOB_CONTAINERS}/read",
                    f"{_BLOB_CONTAINERS}/write",
                    _USER_DELEGATION_KEY,
                ),
                data_actions=(
                    f"{_BLOB_CONTAINERS}/blobs/delete",
                    f"{_BLOB_CONTAINERS}/blobs/read",
                    f"{_BLOB_CONTAINERS}/blobs/write",
                    f"{_BLOB_CONTAINERS}/blobs/move/action",
                    f"{_BLOB_CONTAINERS}/blobs/add/action",
                ),
            ),
        ),
    ),
    RoleDefinition(
        name="2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
        role_name="Storage Blob Data Reader",
        description="Allows for read access to Azure Storage blob containers and data",
        permissions=(
            Permission(
                actions=(f"{_BLOB_CONTAINERS}/read", _USER_DELEGATION_KEY),
                data_actions=(f"{_BLOB_CONTAINERS}/blobs/read",),
            ),
        ),
    ),
    RoleDefinition(
        name="7f951dda-4ed3-4680-a7ca-43fe172d538d",
        role_name="AcrPull",
        description="acr pull",
        permissions=(Permission(actions=("Microsoft.ContainerRegistry/registries/pull/read",)),),
    ),
    RoleDefinition(
        name="8311e382-0749-4cb8-b61a-304f252e45ec",
        role_name="AcrPush",
        description="acr push",
        permissions=(
            Permission(
                actions=(
                    "Microsoft.ContainerRegistry/registries/pull/read",
                    "Microsoft.ContainerRegistry/registries/push/write",
                )
            ),
        ),
    ),
    RoleDefinition(
        name="4633458b-17de-408a-b874-0445c86b69e6",
        role_name="Key Vault Secrets User",
        description=(
            "Read secret contents. Only works for key vaults that use the 'Azure role-based "
            "access control' permission model."
        ),
        permissions=(
            Permission(
                data_actions=(
                    "Microsoft.KeyVault/vaults/secrets/getSecret/action",
                    "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
                )
            ),
        ),
    ),
    RoleDefinition(
        name="b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
        role_name="Key Vault Secrets Officer",
        description=(
            "Perform any action on the secrets of a key vault, except manage permissions. Only "
            "works for key vaults that use the 'Azure role-based access control' permission "
            "model."
        ),
        permissions=(
            Permission(
                actions=_KV_MANAGEMENT_READ,
                data_actions=("Microsoft.KeyVault/vaults/secrets/*",),
            ),
        ),
    ),
    RoleDefinition(
        name="00482a5a-887f-4fb3-b363-3b7fe8e74483",
        role_name="Key Vault Administrator",
        description=(
            "Perform all data plane operations on a key vault and all objects in it, including "
            "certificates, keys, and secrets. Cannot manage key vault resources or manage role "
            "assignments. Only works for key vaults that use the 'Azure role-based access "
            "control' permission model."
        ),
        permissions=(
            Permission(
                actions=_KV_MANAGEMENT_READ,
                data_actions=("Microsoft.KeyVault/vaults/*",),
            ),
        ),
    ),
    RoleDefinition(
        name="f6c7c914-8db3-469d-8ca1-694a8f32e121",
        role_name="AzureML Data Scientist",
        description=(
            "Can perform all actions within an Azure Machine Learning workspace, except for "
            "creating or deleting compute resources and modifying the workspace itself."
        ),
        permissions=(
            Permission(
                actions=(
                    f"{_ML_WS}/*/read",
                    f"{_ML_WS}/*/action",
                    f"{_ML_WS}/*/delete",
                    f"{_ML_WS}/*/write",
                ),
                not_actions=(
                    f"{_ML_WS}/delete",
                    f"{_ML_WS}/write",
                    f"{_ML_WS}/computes/*/write",
                    f"{_ML_WS}/computes/*/delete",
                    f"{_ML_WS}/computes/listKeys/action",
                    f"{_ML_WS}/listKeys/action",
                    f"{_ML_WS}/hubs/write",
                    f"{_ML_WS}/hubs/delete",
                    f"{_ML_WS}/featurestores/write",
                    f"{_ML_WS}/featurestores/delete",
                ),
            ),
        ),
    ),
)
