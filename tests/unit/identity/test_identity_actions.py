"""Action strings: Azure's wildcard rules and the action each operation needs."""

from __future__ import annotations

import pytest

from basin.errors import ValidationError
from basin.identity import (
    BLOB_READ,
    CONTAINER_WRITE,
    action_for,
    action_matches,
    arm_action,
    resource_type_of,
)

SUB = "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590"
RG = f"{SUB}/resourceGroups/rg"
WS = f"{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws"
ACCOUNT = f"{RG}/providers/Microsoft.Storage/storageAccounts/acct"


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        # exact strings, compared without regard to case
        ("Microsoft.Storage/storageAccounts/read", "Microsoft.Storage/storageAccounts/read", True),
        ("microsoft.storage/STORAGEACCOUNTS/Read", "Microsoft.Storage/storageAccounts/read", True),
        (
            "Microsoft.Storage/storageAccounts/read",
            "Microsoft.Storage/storageAccounts/write",
            False,
        ),
        # regex metacharacters in a pattern are literal
        ("Microsoft.Storage/storageAccounts/read", "MicrosoftXStorage/storageAccounts/read", False),
        # "*" alone covers every action
        ("*", "Microsoft.Authorization/roleAssignments/write", True),
        ("*", BLOB_READ, True),
        # "*/read" covers every read action, at any depth, and nothing else
        ("*/read", "Microsoft.Storage/storageAccounts/read", True),
        ("*/read", "Microsoft.Storage/storageAccounts/blobServices/containers/read", True),
        ("*/read", "Microsoft.Storage/storageAccounts/write", False),
        ("*/read", "Microsoft.Storage/storageAccounts/listKeys/action", False),
        ("*/read", "Microsoft.Foo/reader", False),
        # provider wildcards stay within their provider
        ("Microsoft.Storage/*", "Microsoft.Storage/storageAccounts/delete", True),
        ("Microsoft.Storage/*", "Microsoft.StorageSync/storageSyncServices/delete", False),
        ("Microsoft.Storage/*/read", CONTAINER_WRITE, False),
        (
            "Microsoft.Storage/*/read",
            "Microsoft.Storage/storageAccounts/blobServices/containers/read",
            True,
        ),
        # a type wildcard reaches child types
        (
            "Microsoft.Compute/virtualMachines/*",
            "Microsoft.Compute/virtualMachines/extensions/write",
            True,
        ),
        # "/*/" may also stand for no segment at all (see action_matches' docstring)
        (
            "Microsoft.MachineLearningServices/workspaces/*/write",
            "Microsoft.MachineLearningServices/workspaces/write",
            True,
        ),
        (
            "Microsoft.MachineLearningServices/workspaces/*/write",
            "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments/write",
            True,
        ),
        (
            "Microsoft.MachineLearningServices/workspaces/*/write",
            "Microsoft.MachineLearningServices/workspaces/read",
            False,
        ),
        ("Microsoft.Authorization/*/Write", "Microsoft.Authorization/roleAssignments/write", True),
        ("Microsoft.Authorization/*/Write", "Microsoft.Authorization/roleAssignments/read", False),
        # data actions
        (
            "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*",
            "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action",
            True,
        ),
    ],
)
def test_action_matches(pattern: str, action: str, expected: bool) -> None:
    assert action_matches(pattern, action) is expected


@pytest.mark.parametrize(
    ("resource_type", "verb", "expected"),
    [
        ("workspaces", "write", "Microsoft.MachineLearningServices/workspaces/write"),
        (
            "workspaces/onlineEndpoints/deployments",
            "DELETE",
            "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments/delete",
        ),
        ("Microsoft.Storage/storageAccounts", "read", "Microsoft.Storage/storageAccounts/read"),
        (
            "Microsoft.Storage/storageAccounts",
            "listKeys",
            "Microsoft.Storage/storageAccounts/listKeys/action",
        ),
        (
            "Microsoft.Storage/storageAccounts/",
            "listKeys/action",
            "Microsoft.Storage/storageAccounts/listKeys/action",
        ),
        (
            "Microsoft.Authorization/roleAssignments",
            "write",
            "Microsoft.Authorization/roleAssignments/write",
        ),
    ],
)
def test_arm_action(resource_type: str, verb: str, expected: str) -> None:
    assert arm_action(resource_type, verb) == expected


@pytest.mark.parametrize(
    ("resource_type", "verb"), [("", "read"), ("workspaces", "*"), ("workspaces", " ")]
)
def test_arm_action_refuses_nonsense(resource_type: str, verb: str) -> None:
    with pytest.raises(ValidationError):
        arm_action(resource_type, verb)


@pytest.mark.parametrize(
    ("resource_id", "expected"),
    [
        (SUB, "Microsoft.Resources/subscriptions"),
        (RG, "Microsoft.Resources/subscriptions/resourceGroups"),
        (f"{RG}/", "Microsoft.Resources/subscriptions/resourceGroups"),
        (WS, "Microsoft.MachineLearningServices/workspaces"),
        (
            f"{WS}/onlineEndpoints/ep/deployments/blue",
            "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments",
        ),
        # a collection (list call) names the child type without a name
        (f"{WS}/onlineEndpoints", "Microsoft.MachineLearningServices/workspaces/onlineEndpoints"),
        (
            f"{ACCOUNT}/blobServices/default/containers/c1",
            "Microsoft.Storage/storageAccounts/blobServices/containers",
        ),
        (
            f"{ACCOUNT}/blobServices/default/containers/c1/blobs/dir/sub/blobs/x.txt",
            "Microsoft.Storage/storageAccounts/blobServices/containers/blobs",
        ),
        # an extension resource takes the type after the last "providers"
        (
            f"{ACCOUNT}/providers/Microsoft.Authorization/roleAssignments/1234",
            "Microsoft.Authorization/roleAssignments",
        ),
        (
            f"{SUB}/providers/Microsoft.Authorization/roleAssignments/1234",
            "Microsoft.Authorization/roleAssignments",
        ),
        # a resource called "providers" is a name, not a keyword
        (f"{WS}/datastores/providers", "Microsoft.MachineLearningServices/workspaces/datastores"),
    ],
)
def test_resource_type_of(resource_id: str, expected: str) -> None:
    assert resource_type_of(resource_id) == expected


def test_action_for_names_the_operation() -> None:
    assert action_for(WS, "write") == "Microsoft.MachineLearningServices/workspaces/write"
    assert (
        action_for(f"{ACCOUNT}/blobServices/default/containers/c1/blobs/a/b.txt", "read")
        == BLOB_READ
    )
    assert action_for(RG, "read") == "Microsoft.Resources/subscriptions/resourceGroups/read"
    assert action_for(ACCOUNT, "listKeys") == "Microsoft.Storage/storageAccounts/listKeys/action"


@pytest.mark.parametrize(
    "resource_id", ["", "/", "/resourceGroups/rg", "workspaces/ws", "/subscriptions"]
)
def test_resource_type_of_refuses_what_is_not_an_id(resource_id: str) -> None:
    with pytest.raises(ValidationError, match="not a resource id"):
        resource_type_of(resource_id)
