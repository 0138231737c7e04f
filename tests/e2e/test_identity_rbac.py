"""Principals, identities, role assignments and the token service, through the CLI and SDK."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from azure.identity import ManagedIdentityCredential

from basin import MLClient
from basin.entities import Workspace
from basin.errors import AuthenticationError, AuthorizationError, NotFoundError
from basin.testing import ServerProcess
from tests.conftest import run_cli
from tests.e2e.test_workspaces_cli import assign, fails, ok


def _as(server: ServerProcess, token: str, group: str | None = None) -> MLClient:
    return MLClient(None, None, group, server=server.url, token=token)


def test_identity_verbs_show_azure_fields(cli: Any) -> None:
    ok(cli("group", "create", "-n", "rg-id"))
    created = ok(cli("identity", "create", "-n", "uai-one", "-g", "rg-id"))
    assert created["id"].endswith(
        "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai-one"
    )
    for key in ("principalId", "clientId", "tenantId"):
        assert created[key]
    assert ok(cli("identity", "show", "-n", "uai-one", "-g", "rg-id")) == created
    assert [i["name"] for i in ok(cli("identity", "list", "-g", "rg-id"))] == ["uai-one"]
    ok(cli("identity", "delete", "-n", "uai-one", "-g", "rg-id"))
    fails(cli("identity", "show", "-n", "uai-one", "-g", "rg-id"), "ResourceNotFound")


def test_role_definitions_are_azures(cli: Any) -> None:
    names = ok(cli("role", "definition", "list", "--query", "[].roleName"))
    for expected in (
        "Owner", "Contributor", "Reader", "Storage Blob Data Owner", "Storage Blob Data Contributor",
        "Storage Blob Data Reader", "AcrPull", "AcrPush", "Key Vault Secrets User",
        "Key Vault Secrets Officer", "AzureML Data Scientist",
    ):  # fmt: skip
        assert expected in names
    reader = ok(cli("role", "definition", "list", "--name", "storage blob data reader"))
    assert reader[0]["name"] == "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
    fails(cli("role", "definition", "list", "--name", "Wizard"), "Wizard")


def test_reader_contributor_owner(server: ServerProcess, cli: Any) -> None:
    ok(cli("group", "create", "-n", "rg-rbac"))
    ok(cli("workspace", "create", "-n", "ws-rbac", "-g", "rg-rbac"))
    group_id = ok(cli("group", "show", "-n", "rg-rbac"))["id"]
    sub_scope = "/" + "/".join(group_id.split("/")[1:3])
    reader = ok(cli("ad", "sp", "create", "--display-name", "reader-bot"))
    contributor = ok(cli("ad", "sp", "create", "--display-name", "contrib-bot"))
    owner = ok(cli("ad", "sp", "create", "--display-name", "owner-bot"))
    assert reader["password"].startswith("basin_")
    assert "password" not in ok(cli("ad", "sp", "list"))[0]
    for principal, role in ((reader, "Reader"), (contributor, "Contributor"), (owner, "Owner")):
        assign(cli, principal["id"], role, group_id)

    with _as(server, reader["password"], "rg-rbac") as client:
        assert client.workspaces.get("ws-rbac").name == "ws-rbac"  # read: allowed
        with pytest.raises(AuthorizationError) as refused:
            client.workspaces.begin_create(Workspace(name="ws-by-reader"))
        assert "Microsoft.MachineLearningServices/workspaces/write" in str(refused.value)
        with pytest.raises(AuthorizationError):
            client.workspaces.begin_delete("ws-rbac")
        with pytest.raises(AuthorizationError):  # nothing outside its scope
            client.resource_groups.get("rg-dep-other")
    assert ok(cli("workspace", "show", "-n", "ws-rbac", "-g", "rg-rbac"))["name"] == "ws-rbac"

    with _as(server, contributor["password"], "rg-rbac") as client:
        client.workspaces.begin_create(Workspace(name="ws-by-contrib")).result()
        client.workspaces.begin_delete("ws-by-contrib", permanently_delete=True).result()
        with pytest.raises(AuthorizationError) as refused:
            client.role_assignments.create(reader["id"], "Owner", group_id)
        assert "roleAssignments/write" in str(refused.value)
        with pytest.raises(AuthorizationError):
            client.role_assignments.create(reader["id"], "Reader", sub_scope)

    with _as(server, owner["password"], "rg-rbac") as client:
        made = client.role_assignments.create(
            contributor["id"], "Storage Blob Data Reader", group_id
        )
        assert made.role_definition_name == "Storage Blob Data Reader"
        # The same assignment again returns the one there is (as az does), not a conflict.
        again = client.role_assignments.create(
            contributor["id"], "Storage Blob Data Reader", group_id
        )
        assert again.id == made.id
        client.role_assignments.delete(made.id)  # type: ignore[arg-type]
        with pytest.raises(AuthorizationError):  # an Owner of the group, not of the subscription
            client.role_assignments.create(reader["id"], "Owner", sub_scope)

    # A removed assignment takes effect on the next request.
    listed = ok(cli("role", "assignment", "list", "--assignee", reader["id"]))
    assert [a["roleDefinitionName"] for a in listed] == ["Reader"]
    ok(cli("role", "assignment", "delete", "--ids", listed[0]["id"]))
    with _as(server, reader["password"], "rg-rbac") as client, pytest.raises(AuthorizationError):
        client.workspaces.get("ws-rbac")

    # Deleting a principal revokes its credential.
    ok(cli("ad", "sp", "delete", "--id", contributor["appId"]))
    with (
        _as(server, contributor["password"], "rg-rbac") as client,
        pytest.raises(AuthenticationError),
    ):
        client.workspaces.get("ws-rbac")
    fails(
        cli(
            "role",
            "assignment",
            "create",
            "--assignee-object-id",
            "00000000-0000-0000-0000-000000000000",
            "--role",
            "Reader",
            "--scope",
            group_id,
        ),
        "does not exist",
    )


def test_token_service_and_jwks(server: ServerProcess, cli: Any) -> None:
    token = ok(cli("account", "get-access-token"))
    assert token["tokenType"] == "Bearer" and token["expires_on"] > 0
    # a management JWT works as a credential, like an API token
    result = run_cli(server.home, "--token", token["accessToken"], "group", "list")
    assert result.code == 0, result.err
    storage = ok(
        cli("account", "get-access-token", "--resource", "https://storage.azure.com/.default")
    )
    # a token for another audience is refused by the management API
    refused = run_cli(server.home, "--token", storage["accessToken"], "group", "list")
    assert refused.code == 1 and "AuthenticationFailed" in refused.err
    assert storage["accessToken"] not in refused.err
    jwks = httpx.get(f"{server.url}/basin/jwks").json()
    assert jwks["keys"] and jwks["keys"][0]["kty"] in ("RSA", "EC")


def test_managed_identity_endpoint_with_the_real_credential(
    server: ServerProcess, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ok(cli("group", "create", "-n", "rg-msi"))
    first = ok(cli("identity", "create", "-n", "uai-msi-1", "-g", "rg-msi"))
    second = ok(cli("identity", "create", "-n", "uai-msi-2", "-g", "rg-msi"))
    stranger = ok(cli("identity", "create", "-n", "uai-msi-3", "-g", "rg-msi"))
    headers = {"Authorization": f"Bearer {server.token}"}
    binding = httpx.post(
        f"{server.url}/basin/msi/bindings",
        json={"owner": "test-replica", "user_assigned_identities": [first["id"], second["id"]]},
        headers=headers,
    ).json()
    monkeypatch.setenv("MSI_ENDPOINT", binding["msi_endpoint"])
    monkeypatch.setenv("MSI_SECRET", binding["msi_secret"])
    monkeypatch.delenv("IDENTITY_ENDPOINT", raising=False)

    credential = ManagedIdentityCredential(client_id=second["clientId"])
    token = credential.get_token("https://storage.azure.com/.default")
    assert token.token and token.expires_on > 0
    # the raw REST call of the docs, with clientid
    raw = httpx.get(
        binding["msi_endpoint"],
        params={
            "api-version": "2017-09-01",
            "resource": "https://storage.azure.com",
            "clientid": first["clientId"],
        },
        headers={"secret": binding["msi_secret"]},
    )
    assert raw.status_code == 200 and raw.json()["resource"] == "https://storage.azure.com"
    import jwt

    claims = jwt.decode(raw.json()["access_token"], options={"verify_signature": False})
    assert claims["oid"] == first["principalId"] and claims["xms_mirid"] == first["id"]
    # an identity not attached to this binding is refused, and so is a wrong secret
    foreign = httpx.get(
        binding["msi_endpoint"],
        params={"resource": "https://storage.azure.com", "clientid": stranger["clientId"]},
        headers={"secret": binding["msi_secret"]},
    )
    assert foreign.status_code in (400, 403)
    wrong = httpx.get(binding["msi_endpoint"], params={"resource": "x"}, headers={"secret": "nope"})
    assert wrong.status_code == 401
    # without a client id and with two user-assigned identities the choice is ambiguous
    with pytest.raises(Exception) as ambiguous:
        ManagedIdentityCredential().get_token("https://storage.azure.com/.default")
    assert binding["msi_secret"] not in str(ambiguous.value)
    # nothing secret in the server's log
    log = "".join(server.output)
    assert binding["msi_secret"] not in log and token.token not in log


def test_principals_need_an_owner(server: ServerProcess, cli: Any) -> None:
    bot = ok(cli("ad", "sp", "create", "--display-name", "plain-bot"))
    with _as(server, bot["password"]) as client:
        with pytest.raises(AuthorizationError):
            client.principals.create("sneaky")
        with pytest.raises(AuthorizationError):
            client.principals.list()
        assert client.info["caller"]["name"] == "plain-bot"  # it can still say who it is
    reset = ok(cli("ad", "sp", "credential", "reset", "--id", bot["id"]))
    assert reset["password"] != bot["password"]
    with _as(server, bot["password"]) as client, pytest.raises(AuthenticationError):
        client.info  # noqa: B018 - the old password stopped working
    user = ok(cli("ad", "user", "create", "--display-name", "alice"))
    assert user["principalType"] == "User"
    with pytest.raises(NotFoundError), _as(server, server.token) as client:
        client.principals.delete("no-such-principal")
