"""Access decisions: each built-in role's effect, scope inheritance and refusal messages."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from basin.errors import AuthorizationError
from basin.identity import (
    ACR_PULL,
    ACR_PUSH,
    BLOB_ADD,
    BLOB_DELETE,
    BLOB_READ,
    BLOB_WRITE,
    CONTAINER_DELETE,
    CONTAINER_READ,
    CONTAINER_WRITE,
    KEY_VAULT_SECRET_GET,
    ROLE_ASSIGNMENT_WRITE,
    RoleAssignment,
    action_for,
    check_access,
    container_scope,
    get_role,
    is_allowed,
    require_access,
    role_definition_id,
    roles_granting,
)

SUB_ID = "0b1f6471-1bf0-4dda-aec3-cb9272f09590"
SUB = f"/subscriptions/{SUB_ID}"
RG = f"{SUB}/resourceGroups/rg"
RG2 = f"{SUB}/resourceGroups/rg2"
ACCOUNT = f"{RG}/providers/Microsoft.Storage/storageAccounts/acct"
C1 = container_scope(ACCOUNT, "c1")
C2 = container_scope(ACCOUNT, "c2")
BLOB = f"{C1}/blobs/models/model.pkl"
REGISTRY = f"{RG}/providers/Microsoft.ContainerRegistry/registries/reg"
VAULT = f"{RG}/providers/Microsoft.KeyVault/vaults/kv"
WS = f"{RG}/providers/Microsoft.MachineLearningServices/workspaces/ws"
ML = "Microsoft.MachineLearningServices/workspaces"
ALICE = "a1a1a1a1-0000-0000-0000-000000000001"
BOB = "b2b2b2b2-0000-0000-0000-000000000002"


def allowed(
    role: str, action: str, resource: str = RG, *, data: bool = False, scope: str = RG
) -> bool:
    return is_allowed([RoleAssignment(ALICE, role, scope)], ALICE, action, resource, data=data)


@pytest.mark.parametrize(
    ("role", "action", "resource", "data", "expected"),
    [
        # Reader reads everything, changes nothing, reaches no data
        ("Reader", "Microsoft.Storage/storageAccounts/read", ACCOUNT, False, True),
        ("Reader", action_for(WS, "read"), WS, False, True),
        ("Reader", action_for(WS, "write"), WS, False, False),
        ("Reader", action_for(WS, "delete"), WS, False, False),
        ("Reader", "Microsoft.Storage/storageAccounts/listKeys/action", ACCOUNT, False, False),
        ("Reader", BLOB_READ, BLOB, True, False),
        # Contributor manages resources but not access
        ("Contributor", action_for(WS, "write"), WS, False, True),
        ("Contributor", action_for(WS, "delete"), WS, False, True),
        ("Contributor", "Microsoft.Authorization/roleAssignments/read", RG, False, True),
        ("Contributor", ROLE_ASSIGNMENT_WRITE, RG, False, False),
        ("Contributor", "Microsoft.Authorization/roleAssignments/delete", RG, False, False),
        ("Contributor", BLOB_READ, BLOB, True, False),
        # Owner can also assign roles, yet holds no data actions
        ("Owner", ROLE_ASSIGNMENT_WRITE, RG, False, True),
        ("Owner", action_for(WS, "delete"), WS, False, True),
        ("Owner", BLOB_READ, BLOB, True, False),
        # User Access Administrator manages access, not resources
        ("User Access Administrator", ROLE_ASSIGNMENT_WRITE, RG, False, True),
        ("User Access Administrator", action_for(WS, "read"), WS, False, True),
        ("User Access Administrator", action_for(WS, "write"), WS, False, False),
        # Storage Blob Data Reader reads blobs and lists containers, nothing more
        ("Storage Blob Data Reader", BLOB_READ, BLOB, True, True),
        ("Storage Blob Data Reader", BLOB_WRITE, BLOB, True, False),
        ("Storage Blob Data Reader", BLOB_DELETE, BLOB, True, False),
        ("Storage Blob Data Reader", CONTAINER_READ, C1, False, True),
        ("Storage Blob Data Reader", CONTAINER_WRITE, C1, False, False),
        # a data action is not a control-plane action
        ("Storage Blob Data Reader", BLOB_READ, BLOB, False, False),
        # Storage Blob Data Contributor writes and deletes blobs and containers
        ("Storage Blob Data Contributor", BLOB_WRITE, BLOB, True, True),
        ("Storage Blob Data Contributor", BLOB_DELETE, BLOB, True, True),
        ("Storage Blob Data Contributor", BLOB_ADD, BLOB, True, True),
        ("Storage Blob Data Contributor", CONTAINER_DELETE, C1, False, True),
        (
            "Storage Blob Data Contributor",
            "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags/write",
            BLOB,
            True,
            False,
        ),
        # Storage Blob Data Owner has every blob data action
        (
            "Storage Blob Data Owner",
            "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags/write",
            BLOB,
            True,
            True,
        ),
        (
            "Storage Blob Data Owner",
            "Microsoft.Storage/storageAccounts/listKeys/action",
            ACCOUNT,
            False,
            False,
        ),
        # registry
        ("AcrPull", ACR_PULL, REGISTRY, False, True),
        ("AcrPull", ACR_PUSH, REGISTRY, False, False),
        ("AcrPush", ACR_PULL, REGISTRY, False, True),
        ("AcrPush", ACR_PUSH, REGISTRY, False, True),
        # key vault secrets
        ("Key Vault Secrets User", KEY_VAULT_SECRET_GET, f"{VAULT}/secrets/s", True, True),
        (
            "Key Vault Secrets User",
            "Microsoft.KeyVault/vaults/secrets/setSecret/action",
            f"{VAULT}/secrets/s",
            True,
            False,
        ),
        ("Key Vault Secrets User", "Microsoft.KeyVault/vaults/read", VAULT, False, False),
        (
            "Key Vault Secrets Officer",
            "Microsoft.KeyVault/vaults/secrets/setSecret/action",
            f"{VAULT}/secrets/s",
            True,
            True,
        ),
        ("Key Vault Secrets Officer", "Microsoft.KeyVault/vaults/secrets/read", VAULT, False, True),
        ("Key Vault Secrets Officer", "Microsoft.KeyVault/vaults/write", VAULT, False, False),
        # AzureML Data Scientist works inside a workspace but cannot change it or its computes
        (
            "AzureML Data Scientist",
            f"{ML}/onlineEndpoints/write",
            f"{WS}/onlineEndpoints/ep",
            False,
            True,
        ),
        (
            "AzureML Data Scientist",
            f"{ML}/onlineEndpoints/deployments/delete",
            f"{WS}/onlineEndpoints/ep/deployments/b",
            False,
            True,
        ),
        ("AzureML Data Scientist", f"{ML}/read", WS, False, True),
        ("AzureML Data Scientist", f"{ML}/write", WS, False, False),
        ("AzureML Data Scientist", f"{ML}/delete", WS, False, False),
        ("AzureML Data Scientist", f"{ML}/computes/write", f"{WS}/computes/cpu", False, False),
        ("AzureML Data Scientist", f"{ML}/listKeys/action", WS, False, False),
        ("AzureML Data Scientist", "Microsoft.Storage/storageAccounts/read", ACCOUNT, False, False),
    ],
)
def test_builtin_role_effects(
    role: str, action: str, resource: str, data: bool, expected: bool
) -> None:
    assert allowed(role, action, resource, data=data) is expected


def test_assignment_reaches_down_but_not_sideways_or_up() -> None:
    assert allowed("Storage Blob Data Reader", BLOB_READ, BLOB, data=True, scope=ACCOUNT)
    assert allowed("Storage Blob Data Reader", BLOB_READ, BLOB, data=True, scope=C1)
    assert not allowed("Storage Blob Data Reader", BLOB_READ, f"{C2}/blobs/x", data=True, scope=C1)
    assert not allowed("AcrPull", ACR_PULL, REGISTRY.replace(RG, RG2), scope=RG)
    assert not allowed("Reader", "Microsoft.Resources/subscriptions/read", SUB, scope=RG)


def test_only_the_principals_own_assignments_count() -> None:
    assignments = [RoleAssignment(BOB, "Owner", SUB)]
    assert not is_allowed(assignments, ALICE, ACR_PULL, REGISTRY)
    assert is_allowed(assignments, BOB.upper(), ACR_PULL, REGISTRY)


def test_not_actions_are_not_deny_rules() -> None:
    both = [
        RoleAssignment(ALICE, "Contributor", RG),
        RoleAssignment(ALICE, "User Access Administrator", RG),
    ]
    assert not is_allowed(both[:1], ALICE, ROLE_ASSIGNMENT_WRITE, RG)
    assert is_allowed(both, ALICE, ROLE_ASSIGNMENT_WRITE, RG)


def test_role_may_be_named_by_guid_full_id_or_name() -> None:
    reader = get_role("Storage Blob Data Reader").name
    for reference in (reader, role_definition_id(reader, SUB_ID), "storage blob data reader"):
        assert is_allowed(
            [RoleAssignment(ALICE, reference, ACCOUNT)], ALICE, BLOB_READ, BLOB, data=True
        )


def test_unknown_role_grants_nothing() -> None:
    unknown = [RoleAssignment(ALICE, "00000000-0000-0000-0000-000000000000", SUB)]
    assert not is_allowed(unknown, ALICE, "Microsoft.Storage/storageAccounts/read", ACCOUNT)


def test_store_records_fit_the_assignment_protocol() -> None:
    @dataclass
    class StoredAssignment:
        id: str
        principal_id: str
        role_definition_id: str
        scope: str
        principal_type: str = "ServicePrincipal"

    record = StoredAssignment("ra1", ALICE, get_role("AcrPull").name, REGISTRY)
    decision = check_access([record], ALICE, ACR_PULL, REGISTRY)
    assert decision.allowed
    assert decision.granted_by is record
    assert decision.granted_role is not None and decision.granted_role.role_name == "AcrPull"


def test_refusal_explains_what_is_missing_where() -> None:
    assignments = [RoleAssignment(ALICE, "Reader", RG2)]
    decision = check_access(assignments, ALICE, ACR_PUSH, REGISTRY)
    assert not decision.allowed
    assert decision.candidate_roles[:2] == ("AcrPush", "Contributor")
    assert decision.summary == (
        f"identity '{ALICE}' lacks role AcrPush (or another role that grants '{ACR_PUSH}') at "
        f"scope '{REGISTRY}'"
    )
    with pytest.raises(AuthorizationError) as caught:
        require_access(assignments, ALICE, ACR_PUSH, REGISTRY)
    message = caught.value.message
    assert (
        f"does not have authorization to perform action '{ACR_PUSH}' over scope '{REGISTRY}'"
        in message
    )
    assert "AcrPush" in message and ALICE in message
    assert caught.value.status == 403


def test_refusal_of_a_data_action_says_so() -> None:
    decision = check_access([], ALICE, BLOB_WRITE, BLOB, data=True)
    assert "data action" in decision.message
    assert decision.candidate_roles == ("Storage Blob Data Contributor", "Storage Blob Data Owner")


def test_require_access_returns_the_grant() -> None:
    decision = require_access([RoleAssignment(ALICE, "AcrPull", RG)], ALICE, ACR_PULL, REGISTRY)
    assert decision.allowed and "AcrPull" in decision.message


def test_roles_granting_lists_narrowest_first() -> None:
    assert roles_granting(BLOB_READ, data=True) == (
        "Storage Blob Data Reader",
        "Storage Blob Data Contributor",
        "Storage Blob Data Owner",
    )
    assert roles_granting(ROLE_ASSIGNMENT_WRITE) == ("User Access Administrator", "Owner")
    assert roles_granting(ACR_PULL)[:2] == ("AcrPull", "AcrPush")
    assert roles_granting(ACR_PULL)[-1] == "Owner"
    assert roles_granting("Microsoft.Nothing/at/all/action") == ("Contributor", "Owner")
