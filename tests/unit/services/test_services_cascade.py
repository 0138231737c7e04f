"""Ownership and the one cascade (#13): deleting a resource deletes all it owns, wherever it is.

The fast service tier: a whole Platform in-process on a temporary SQLite file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from basin.entities import (
    IdentityConfiguration,
    ManagedIdentityConfiguration,
    ManagedOnlineEndpoint,
    Workspace,
)
from basin.errors import AuthorizationError
from basin.identity import ManagedIdentity
from basin.services import (
    access,
    endpoints,
    groups,
    identities,
    msi,
    role_assignments,
    storage_accounts,
    workspaces,
)
from basin.testing.platform import PlatformUnderTest, platform_under_test

READ = "Microsoft.Storage/storageAccounts/read"


@pytest.fixture
def put(tmp_path: Path) -> Iterator[PlatformUnderTest]:
    with platform_under_test(tmp_path / "home") as made:
        groups.create(made.platform, "rg")
        groups.create(made.platform, "other")
        yield made


def _principal_ids(put: PlatformUnderTest) -> set[str]:
    return {p.object_id for p in put.platform.store.list_principals()}


def _assignees(put: PlatformUnderTest) -> set[str]:
    return {a.principal_id for a in role_assignments.all_assignments(put.platform.store)}


def test_a_workspace_made_again_does_not_inherit_its_predecessors_grants(
    put: PlatformUnderTest,
) -> None:
    platform = put.platform
    elsewhere = storage_accounts.create(platform, "other", "elsewhere1")
    first = workspaces.create(platform, "rg", Workspace(name="ws1"))
    assert first.identity and first.identity.principal_id
    role_assignments.create(platform, first.identity.principal_id, "Reader", elsewhere.id or "")
    assert access.is_allowed(platform, first.identity.principal_id, READ, elsewhere.id or "")
    workspaces.delete(platform, "rg", "ws1", permanently=True)
    again = workspaces.create(platform, "rg", Workspace(name="ws1"))
    assert again.identity and again.identity.principal_id
    assert again.identity.principal_id != first.identity.principal_id
    with pytest.raises(AuthorizationError):
        access.authorize(platform, again.identity.principal_id, READ, elsewhere.id or "")
    assert first.identity.principal_id not in _principal_ids(put) | _assignees(put)


def test_an_endpoint_made_again_does_not_inherit_its_predecessors_grants(
    put: PlatformUnderTest,
) -> None:
    platform = put.platform
    elsewhere = storage_accounts.create(platform, "other", "elsewhere2")
    workspaces.create(platform, "rg", Workspace(name="ws1"))
    first = endpoints.create_or_update(platform, "rg", "ws1", ManagedOnlineEndpoint(name="ep-1"))
    assert first.identity and first.identity.principal_id
    role_assignments.create(platform, first.identity.principal_id, "Reader", elsewhere.id or "")
    endpoints.delete(platform, "rg", "ws1", "ep-1")
    again = endpoints.create_or_update(platform, "rg", "ws1", ManagedOnlineEndpoint(name="ep-1"))
    assert again.identity and again.identity.principal_id != first.identity.principal_id
    assert first.identity.principal_id not in _principal_ids(put) | _assignees(put)
    assert not access.is_allowed(
        platform, again.identity.principal_id or "", READ, elsewhere.id or ""
    )


def test_deleting_a_group_leaves_no_principal_or_assignment_behind(
    put: PlatformUnderTest,
) -> None:
    platform = put.platform
    before_principals, before_assignees = _principal_ids(put), _assignees(put)
    outside = storage_accounts.create(platform, "other", "outside1")
    ws = workspaces.create(platform, "rg", Workspace(name="ws1"))
    gone_soft = workspaces.create(platform, "rg", Workspace(name="ws2"))
    uai = identities.create(platform, "rg", "uai1")
    user_assigned = IdentityConfiguration(
        type="user_assigned",
        user_assigned_identities=[ManagedIdentityConfiguration(resource_id=uai.id)],
    )
    endpoints.create_or_update(platform, "rg", "ws1", ManagedOnlineEndpoint(name="ep-system"))
    endpoints.create_or_update(
        platform, "rg", "ws1", ManagedOnlineEndpoint(name="ep-user", identity=user_assigned)
    )
    for principal in (ws.identity.principal_id, uai.principal_id):  # type: ignore[union-attr]
        assert principal
        role_assignments.create(platform, principal, "Reader", outside.id or "")
    workspaces.delete(platform, "rg", "ws2")  # soft-deleted: still in the group
    assert gone_soft.identity and gone_soft.identity.principal_id in _principal_ids(put)
    groups.delete(platform, "rg")
    assert _principal_ids(put) == before_principals
    assert _assignees(put) == before_assignees
    assert (
        platform.store.list(
            under=f"/subscriptions/{platform.subscription_id}/resourceGroups/rg",
            include_deleted=True,
        )
        == []
    )
    assert storage_accounts.get(platform, "other", "outside1").id == outside.id  # others stay


def test_purging_a_workspace_removes_its_principal_and_its_grants_elsewhere(
    put: PlatformUnderTest,
) -> None:
    platform = put.platform
    outside = storage_accounts.create(platform, "other", "outside2")
    ws = workspaces.create(platform, "rg", Workspace(name="ws1"))
    assert ws.identity and ws.identity.principal_id
    principal = ws.identity.principal_id
    role_assignments.create(platform, principal, "Reader", outside.id or "")
    endpoints.create_or_update(platform, "rg", "ws1", ManagedOnlineEndpoint(name="ep-a"))
    workspaces.delete(platform, "rg", "ws1")  # soft: the endpoint goes at once, the identity stays
    assert principal in _principal_ids(put) and principal in _assignees(put)
    assert platform.store.list(type=endpoints.TYPE) == []
    workspaces.delete(platform, "rg", "ws1", permanently=True)
    assert principal not in _principal_ids(put) | _assignees(put)
    # the dependent resources stay (a workspace never deletes them), their grants too
    assert ws.storage_account
    assert storage_accounts.get_by_id(platform, ws.storage_account).id


def test_deleting_an_identity_removes_its_principal_and_grants(put: PlatformUnderTest) -> None:
    platform = put.platform
    outside = storage_accounts.create(platform, "other", "outside3")
    uai = identities.create(platform, "rg", "uai2")
    assert uai.principal_id
    role_assignments.create(
        platform, uai.principal_id, "Storage Blob Data Reader", outside.id or ""
    )
    identities.delete(platform, "rg", "uai2")
    assert uai.principal_id not in _principal_ids(put) | _assignees(put)


def test_msi_bindings_go_with_their_endpoint_and_deleted_endpoints_stop_replicas(
    put: PlatformUnderTest,
) -> None:
    platform = put.platform
    workspaces.create(platform, "rg", Workspace(name="ws1"))
    ep = endpoints.create_or_update(platform, "rg", "ws1", ManagedOnlineEndpoint(name="ep-b"))
    assert ep.id and ep.identity and ep.identity.principal_id
    system = ManagedIdentity(ep.identity.principal_id, ep.identity.principal_id, ep.id, True)
    msi.bind(platform, f"{ep.id}/deployments/blue/replicas/r1", system_assigned=system)
    assert platform.store.list(type=msi.BINDING_TYPE)
    heard: list[str] = []
    platform.events.subscribe(endpoints.CHANGED, heard.append)
    endpoints.delete(platform, "rg", "ws1", "ep-b")
    assert platform.store.list(type=msi.BINDING_TYPE) == []
    assert heard == [ep.id]


def test_a_storage_accounts_blob_data_goes_with_it(put: PlatformUnderTest) -> None:
    platform = put.platform
    storage_accounts.create(platform, "rg", "dataacct1")
    assert platform.blobs is not None
    platform.blobs.create_container("dataacct1", "things")
    platform.blobs.put_blob_bytes("dataacct1", "things", "a.txt", b"a")
    groups.delete(platform, "rg")
    assert list(platform.blobs.iter_containers("dataacct1")) == []
