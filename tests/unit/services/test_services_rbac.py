"""RBAC decisions as the server makes them (#13): the fast service tier, a whole Platform in-process.

Management calls: ``server.auth.required_action`` turns (method, path) into (action, scope) and
``services.access`` decides from the role assignments in the store. Blob calls: the blob service's
``PlatformBearerAuthorizer`` decides a bearer token's data actions at the blob's scope.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from basin.blobs.access import CONTAINERS_READ, CONTAINERS_WRITE, PermissionDeniedError
from basin.entities import Workspace
from basin.errors import AuthorizationError
from basin.identity import BLOB_ADD, BLOB_DELETE, BLOB_READ, BLOB_WRITE
from basin.identity import Principal as TokenPrincipal
from basin.server.auth import required_action
from basin.services import access, groups, principals, role_assignments, storage_accounts
from basin.services import workspaces as workspace_service
from basin.services.blob_access import PlatformBearerAuthorizer
from basin.testing.platform import PlatformUnderTest, platform_under_test

WS = "/providers/Microsoft.MachineLearningServices/workspaces"
AUTH = "/providers/Microsoft.Authorization/roleAssignments"


@dataclass
class World:
    put: PlatformUnderTest
    sub: str  # /subscriptions/<id>
    rg: str  # the group "rg"'s id
    other: str  # the group "other"'s id
    workspace: str  # rg's workspace "ws1"
    account: str  # storage account "acct1" in rg

    def caller(self, role: str | None, scope: str | None = None) -> str:
        """A new service principal holding ``role`` at ``scope`` (default: group rg)."""
        made = principals.create(self.put.platform, f"caller-{role}")
        if role is not None:
            role_assignments.create(self.put.platform, made.id, role, scope or self.rg)
        return made.id

    def may(self, principal: str, method: str, path: str) -> bool:
        needed = required_action(method, path)
        assert needed is not None
        action, scope = needed
        return access.is_allowed(self.put.platform, principal, action, scope)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with platform_under_test(tmp_path / "home") as put:
        platform = put.platform
        groups.create(platform, "rg")
        groups.create(platform, "other")
        sub = f"/subscriptions/{platform.subscription_id}"
        ws = workspace_service.create(platform, "rg", Workspace(name="ws1"))
        account = storage_accounts.create(platform, "rg", "acct1")
        assert ws.id and account.id
        yield World(
            put, sub, f"{sub}/resourceGroups/rg", f"{sub}/resourceGroups/other", ws.id, account.id
        )


def test_the_server_maps_methods_and_paths_to_actions(world: World) -> None:
    assert required_action("GET", world.workspace) == (
        "Microsoft.MachineLearningServices/workspaces/read",
        world.workspace,
    )
    assert required_action("PUT", world.workspace + "/")[0] == (  # type: ignore[index]
        "Microsoft.MachineLearningServices/workspaces/write"
    )
    assert required_action("DELETE", world.rg) == (
        "Microsoft.Resources/subscriptions/resourceGroups/delete",
        world.rg,
    )
    assert required_action("POST", world.workspace + "/listKeys") == (
        "Microsoft.MachineLearningServices/workspaces/listKeys/action",
        world.workspace,
    )
    assert required_action("PUT", f"{world.rg}{AUTH}/x")[0] == (  # type: ignore[index]
        "Microsoft.Authorization/roleAssignments/write"
    )
    assert required_action("GET", "/basin/info") is None


def test_a_reader_reads_but_cannot_write_or_delete(world: World) -> None:
    reader = world.caller("Reader")
    assert world.may(reader, "GET", world.workspace)
    assert world.may(reader, "GET", world.workspace + "/onlineEndpoints/ep1")
    assert not world.may(reader, "PUT", world.workspace)
    assert not world.may(reader, "PATCH", world.workspace)
    assert not world.may(reader, "DELETE", world.workspace)
    assert not world.may(reader, "PUT", world.workspace + "/onlineEndpoints/ep1")
    assert not world.may(reader, "POST", world.workspace + "/listKeys")
    # the refusal says which role would grant the action
    with pytest.raises(AuthorizationError) as refused:
        action, scope = required_action("PUT", world.workspace) or ("", "")
        access.authorize(world.put.platform, reader, action, scope)
    assert "Contributor" in refused.value.message and reader in refused.value.message


def test_a_contributor_writes_resources_but_not_role_assignments(world: World) -> None:
    contributor = world.caller("Contributor")
    assert world.may(contributor, "PUT", world.workspace)
    assert world.may(contributor, "DELETE", world.workspace + "/onlineEndpoints/ep1")
    assert world.may(contributor, "POST", world.workspace + "/listKeys")
    assert not world.may(contributor, "PUT", f"{world.rg}{AUTH}/a1")
    assert not world.may(contributor, "DELETE", f"{world.workspace}{AUTH}/a1")


def test_an_owner_writes_role_assignments(world: World) -> None:
    owner = world.caller("Owner")
    assert world.may(owner, "PUT", f"{world.rg}{AUTH}/a1")
    assert world.may(owner, "PUT", f"{world.workspace}{AUTH}/a1")
    assert world.may(owner, "DELETE", f"{world.account}{AUTH}/a1")
    assert world.may(owner, "PUT", world.workspace)
    # User Access Administrator: role assignments, but not the resources themselves
    admin_of_access = world.caller("User Access Administrator")
    assert world.may(admin_of_access, "PUT", f"{world.rg}{AUTH}/a1")
    assert not world.may(admin_of_access, "PUT", world.workspace)


def test_scope_covers_what_lies_under_it_and_nothing_beside_it(world: World) -> None:
    at_workspace = world.caller("Contributor", world.workspace)
    assert world.may(at_workspace, "PUT", world.workspace + "/onlineEndpoints/ep1")
    assert world.may(at_workspace, "PUT", world.workspace + "/models/m/versions/1")
    assert not world.may(at_workspace, "GET", world.rg)  # the parent is not covered
    assert not world.may(at_workspace, "GET", world.account)  # nor a sibling
    assert not world.may(at_workspace, "GET", f"{world.workspace}2")  # nor a name prefix
    assert not world.may(at_workspace, "GET", f"{world.rg}{WS}/ws1x")
    at_group = world.caller("Reader", world.rg)
    assert world.may(at_group, "GET", world.workspace)
    assert not world.may(at_group, "GET", f"{world.other}{WS}/ws1")
    at_subscription = world.caller("Reader", world.sub)
    assert world.may(at_subscription, "GET", f"{world.other}{WS}/ws9")
    # scopes compare case-insensitively, as Azure's ids do
    upper = world.caller(
        "Reader", world.workspace.upper().replace("SUBSCRIPTIONS", "subscriptions")
    )
    assert world.may(upper, "GET", world.workspace + "/onlineEndpoints/ep1")


def test_a_removed_assignment_takes_effect_on_the_next_decision(world: World) -> None:
    made = principals.create(world.put.platform, "temporary")
    assignment = role_assignments.create(world.put.platform, made.id, "Reader", world.rg)
    assert world.may(made.id, "GET", world.workspace)
    assert assignment.id
    role_assignments.delete(world.put.platform, assignment.id)
    assert not world.may(made.id, "GET", world.workspace)


def test_no_role_no_access_and_the_admin_is_owner_of_everything(world: World) -> None:
    nobody = world.caller(None)
    assert not world.may(nobody, "GET", world.rg)
    assert not world.may(nobody, "GET", world.workspace)
    admin = world.put.admin.object_id
    for method, path in (
        ("PUT", f"{world.other}{WS}/new"),
        ("DELETE", world.rg),
        ("PUT", f"{world.sub}{AUTH}/a1"),
    ):
        assert world.may(admin, method, path)


def _blob_decision(world: World, principal: str, data_action: str, blob: str | None) -> bool:
    platform = world.put.platform
    assert platform.tokens is not None
    token = platform.tokens.issue(
        TokenPrincipal(object_id=principal, client_id=principal, display_name="caller"),
        "https://storage.azure.com",
    ).token
    try:
        PlatformBearerAuthorizer(platform).authorize(token, "acct1", "data", blob, data_action)
    except PermissionDeniedError:
        return False
    return True


def test_blob_roles_grant_data_actions(world: World) -> None:
    reader = world.caller("Storage Blob Data Reader", world.account)
    contributor = world.caller("Storage Blob Data Contributor", world.account)
    owner_of_group = world.caller("Owner")  # management rights only: no data actions
    for action in (BLOB_READ,):
        assert _blob_decision(world, reader, action, "a.txt")
        assert _blob_decision(world, contributor, action, "a.txt")
    for action in (BLOB_WRITE, BLOB_ADD, BLOB_DELETE):
        assert not _blob_decision(world, reader, action, "a.txt"), action
        assert _blob_decision(world, contributor, action, "a.txt"), action
    assert not _blob_decision(world, owner_of_group, BLOB_READ, "a.txt")
    # listing and creating containers are control-plane actions the data roles hold too
    assert _blob_decision(world, reader, CONTAINERS_READ, None)
    assert not _blob_decision(world, reader, CONTAINERS_WRITE, None)


def test_a_blob_role_at_a_container_covers_its_blobs_only(world: World) -> None:
    container = f"{world.account}/blobServices/default/containers/data"
    reader = world.caller("Storage Blob Data Reader", container)
    assert _blob_decision(world, reader, BLOB_READ, "deep/path/a.txt")
    platform = world.put.platform
    assert platform.tokens is not None
    token = platform.tokens.issue(
        TokenPrincipal(object_id=reader, client_id=reader, display_name="caller"),
        "https://storage.azure.com",
    ).token
    with pytest.raises(PermissionDeniedError):
        PlatformBearerAuthorizer(platform).authorize(token, "acct1", "other", "a.txt", BLOB_READ)
