"""The built-in role catalogue and role lookup."""

from __future__ import annotations

import pytest

from basin.errors import NotFoundError
from basin.identity import (
    Permission,
    RoleDefinition,
    builtin_roles,
    find_role,
    get_role,
    role_definition_id,
    role_guid,
)

# Azure's role definition ids (the same in every cloud).
AZURE_ROLE_IDS = {
    "Owner": "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
    "Contributor": "b24988ac-6180-42a0-ab88-20f7382dd24c",
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "User Access Administrator": "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    "Storage Blob Data Owner": "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "Storage Blob Data Reader": "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    "AcrPull": "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    "AcrPush": "8311e382-0749-4cb8-b61a-304f252e45ec",
    "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
    "Key Vault Secrets Officer": "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
    "Key Vault Administrator": "00482a5a-887f-4fb3-b363-3b7fe8e74483",
    "AzureML Data Scientist": "f6c7c914-8db3-469d-8ca1-694a8f32e121",
}
SUB = "0b1f6471-1bf0-4dda-aec3-cb9272f09590"


def test_catalogue_holds_azure_roles_with_azure_ids() -> None:
    catalogue = {r.role_name: r.name for r in builtin_roles()}
    assert catalogue == AZURE_ROLE_IDS


def test_catalogue_entries_are_well_formed() -> None:
    for role in builtin_roles():
        assert role.role_type == "BuiltInRole"
        assert role.assignable_scopes == ("/",)
        assert role.description
        assert role.permissions
        for block in role.permissions:
            for action in (*block.actions, *block.not_actions, *block.data_actions):
                assert action == action.strip() and " " not in action


@pytest.mark.parametrize("name", ["AcrPull", "acrpull", "  ACRPULL "])
def test_lookup_by_name_ignores_case(name: str) -> None:
    assert get_role(name).name == AZURE_ROLE_IDS["AcrPull"]


@pytest.mark.parametrize(
    "reference",
    [
        AZURE_ROLE_IDS["Storage Blob Data Reader"],
        AZURE_ROLE_IDS["Storage Blob Data Reader"].upper(),
        f"/providers/Microsoft.Authorization/roleDefinitions/{AZURE_ROLE_IDS['Storage Blob Data Reader']}",
        role_definition_id(AZURE_ROLE_IDS["Storage Blob Data Reader"], SUB),
        role_definition_id(AZURE_ROLE_IDS["Storage Blob Data Reader"], SUB).lower() + "/",
    ],
)
def test_lookup_by_guid_or_full_id(reference: str) -> None:
    assert get_role(reference).role_name == "Storage Blob Data Reader"


def test_unknown_role_names_the_valid_ones() -> None:
    with pytest.raises(NotFoundError) as caught:
        get_role("Storage Blob Data Writer")
    message = caught.value.message
    assert "Storage Blob Data Writer" in message
    for name in ("AcrPull", "Owner", "Storage Blob Data Contributor", "AzureML Data Scientist"):
        assert name in message
    assert find_role("Storage Blob Data Writer") is None
    assert find_role("00000000-0000-0000-0000-000000000000") is None


def test_role_guid() -> None:
    guid = AZURE_ROLE_IDS["Owner"]
    assert role_guid(guid.upper()) == guid
    assert role_guid(role_definition_id(guid, SUB)) == guid
    assert role_guid("Owner") is None
    assert (
        role_guid(f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/xyz")
        is None
    )


def test_to_arm_has_azure_cli_shape() -> None:
    body = get_role("Storage Blob Data Reader").to_arm(SUB)
    assert body["id"] == (
        f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/"
        "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
    )
    assert body["roleName"] == "Storage Blob Data Reader"
    assert body["type"] == "Microsoft.Authorization/roleDefinitions"
    assert body["permissions"] == [
        {
            "actions": [
                "Microsoft.Storage/storageAccounts/blobServices/containers/read",
                "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action",
            ],
            "notActions": [],
            "dataActions": ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"],
            "notDataActions": [],
        }
    ]
    assert (
        get_role("Owner").id
        == "/providers/Microsoft.Authorization/roleDefinitions/" + AZURE_ROLE_IDS["Owner"]
    )


def test_custom_roles_are_found_but_never_shadow_builtins() -> None:
    custom = RoleDefinition(
        name="11111111-2222-3333-4444-555555555555",
        role_name="Model Publisher",
        description="custom",
        permissions=(
            Permission(actions=("Microsoft.MachineLearningServices/workspaces/models/*",)),
        ),
        role_type="CustomRole",
    )
    impostor = RoleDefinition(
        name="66666666-2222-3333-4444-555555555555",
        role_name="Owner",
        description="not the real one",
        permissions=(),
        role_type="CustomRole",
    )
    assert get_role("model publisher", [custom]) is custom
    assert get_role(custom.name, [custom]) is custom
    assert get_role("Owner", [impostor]).name == AZURE_ROLE_IDS["Owner"]
    assert find_role("Model Publisher") is None
