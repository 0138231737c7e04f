"""Storage through the CLI, and a managed identity reading blobs by role assignment.

The real ``ManagedIdentityCredential`` gets a token from basin's MSI endpoint; the real
``BlobClient`` presents it to basin's blob service over HTTPS; role assignments decide.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from azure.core.exceptions import HttpResponseError
from azure.identity import ManagedIdentityCredential
from azure.storage.blob import BlobClient, BlobServiceClient

from basin.testing import ServerProcess
from tests.e2e.test_workspaces_cli import assign, fails, ok

STORAGE = "https://storage.azure.com/.default"


def test_container_and_blob_verbs(cli: Any, tmp_path: Path) -> None:
    ok(cli("group", "create", "-n", "rg-blob-cli"))
    ok(cli("storage", "account", "create", "-n", "clistore1", "-g", "rg-blob-cli"))
    acct = ("--account-name", "clistore1", "-g", "rg-blob-cli")
    ok(cli("storage", "container", "create", "-n", "data", *acct))
    fails(cli("storage", "container", "create", "-n", "data", *acct), "Conflict")
    assert [c["name"] for c in ok(cli("storage", "container", "list", *acct))] == ["data"]
    source = tmp_path / "in.bin"
    source.write_bytes(b"\x00\x01" * 5000)
    ok(cli("storage", "blob", "upload", "-n", "a/b.bin", "-c", "data", "-f", str(source), *acct))
    fails(
        cli("storage", "blob", "upload", "-n", "a/b.bin", "-c", "data", "-f", str(source), *acct),
        "already exists",
    )
    ok(
        cli(
            "storage",
            "blob",
            "upload",
            "-n",
            "a/b.bin",
            "-c",
            "data",
            "-f",
            str(source),
            "--overwrite",
            *acct,
        )
    )
    shown = ok(cli("storage", "blob", "show", "-n", "a/b.bin", "-c", "data", *acct))
    assert shown["size"] == 10000
    assert [
        b["name"] for b in ok(cli("storage", "blob", "list", "-c", "data", "--prefix", "a/", *acct))
    ] == ["a/b.bin"]
    target = tmp_path / "out.bin"
    ok(cli("storage", "blob", "download", "-n", "a/b.bin", "-c", "data", "-f", str(target), *acct))
    assert target.read_bytes() == source.read_bytes()
    ok(cli("storage", "blob", "delete", "-n", "a/b.bin", "-c", "data", *acct))
    fails(cli("storage", "blob", "show", "-n", "a/b.bin", "-c", "data", *acct), "ResourceNotFound")
    ok(cli("storage", "container", "delete", "-n", "data", *acct))
    # deleting the account drops its data: a new account of the same name starts empty
    ok(cli("storage", "container", "create", "-n", "keep", *acct))
    ok(cli("storage", "account", "delete", "-n", "clistore1", "-g", "rg-blob-cli"))
    ok(cli("storage", "account", "create", "-n", "clistore1", "-g", "rg-blob-cli"))
    assert ok(cli("storage", "container", "list", *acct)) == []


def test_metadata_names_keep_their_case(server: ServerProcess, cli: Any) -> None:
    # Through the server's own blob endpoint (the protocol the server configures), with the SDK.
    ok(cli("group", "create", "-n", "rg-blob-meta"))
    account = ok(cli("storage", "account", "create", "-n", "metacase1", "-g", "rg-blob-meta"))
    keys = ok(cli("storage", "account", "keys", "list", "-n", "metacase1", "-g", "rg-blob-meta"))
    service = BlobServiceClient(
        account["primaryEndpoints"]["blob"],
        credential={"account_name": "metacase1", "account_key": keys[0]["value"]},
        connection_verify=server.credentials["ca_file"],
    )
    container = service.create_container("data", metadata={"Team": "ml"})
    container.upload_blob("a.txt", b"a", metadata={"Owner": "ml-team", "kind": "note"})
    blob = container.get_blob_client("a.txt")
    assert blob.get_blob_properties().metadata == {"Owner": "ml-team", "kind": "note"}
    listed = next(iter(container.list_blobs(include=["metadata"])))
    assert listed.metadata == {"Owner": "ml-team", "kind": "note"}
    assert container.get_container_properties().metadata == {"Team": "ml"}
    ok(cli("group", "delete", "-n", "rg-blob-meta"))


@pytest.fixture
def msi_setup(
    server: ServerProcess, cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, Any]]:
    """An account with a blob, and a user-assigned identity bound to an MSI secret."""
    ok(cli("group", "create", "-n", "rg-msi-blob"))
    account = ok(cli("storage", "account", "create", "-n", "msiblob1", "-g", "rg-msi-blob"))
    acct = ("--account-name", "msiblob1", "-g", "rg-msi-blob")
    ok(cli("storage", "container", "create", "-n", "models", *acct))
    source = tmp_path / "note.txt"
    source.write_text("read through a managed identity")
    ok(cli("storage", "blob", "upload", "-n", "note.txt", "-c", "models", "-f", str(source), *acct))
    identity = ok(cli("identity", "create", "-n", "uai-blob", "-g", "rg-msi-blob"))
    binding = httpx.post(
        f"{server.url}/basin/msi/bindings",
        json={"owner": "blob-test", "user_assigned_identities": [identity["id"]]},
        headers={"Authorization": f"Bearer {server.token}"},
    ).json()
    monkeypatch.setenv("MSI_ENDPOINT", binding["msi_endpoint"])
    monkeypatch.setenv("MSI_SECRET", binding["msi_secret"])
    monkeypatch.delenv("IDENTITY_ENDPOINT", raising=False)
    group_id = ok(cli("group", "show", "-n", "rg-msi-blob"))["id"]
    yield {
        "account": account,
        "identity": identity,
        "binding": binding,
        "group_id": group_id,
        "ca": server.credentials["ca_file"],
    }
    ok(cli("group", "delete", "-n", "rg-msi-blob"))


def _blob(setup: dict[str, Any], name: str = "note.txt") -> BlobClient:
    credential = ManagedIdentityCredential(client_id=setup["identity"]["clientId"])
    return BlobClient(
        setup["account"]["primaryEndpoints"]["blob"],
        "models",
        name,
        credential=credential,
        connection_verify=setup["ca"],
    )


def test_managed_identity_reads_only_with_a_role(
    server: ServerProcess, cli: Any, msi_setup: dict[str, Any]
) -> None:
    identity, account_id = msi_setup["identity"], msi_setup["account"]["id"]
    with pytest.raises(HttpResponseError) as refused:
        _blob(msi_setup).download_blob().readall()
    assert refused.value.status_code == 403
    assert getattr(refused.value, "error_code", None) == "AuthorizationPermissionMismatch"

    reader = assign(cli, identity["principalId"], "Storage Blob Data Reader", account_id)
    assert _blob(msi_setup).download_blob().readall() == b"read through a managed identity"
    with pytest.raises(HttpResponseError) as no_write:
        _blob(msi_setup, "new.txt").upload_blob(b"nope")
    assert no_write.value.status_code == 403

    ok(cli("role", "assignment", "delete", "--ids", reader["id"]))
    with pytest.raises(HttpResponseError) as revoked:  # the very next request
        _blob(msi_setup).download_blob().readall()
    assert revoked.value.status_code == 403

    assign(cli, identity["principalId"], "Storage Blob Data Reader", msi_setup["group_id"])
    assert _blob(msi_setup).download_blob().readall().startswith(b"read through")
    # nothing secret in the server's log
    log = "".join(server.output)
    assert msi_setup["binding"]["msi_secret"] not in log


def test_raw_rest_with_clientid(cli: Any, msi_setup: dict[str, Any]) -> None:
    """The documented REST calls: the MSI endpoint with clientid, then a bearer GET of the blob."""
    identity = msi_setup["identity"]
    assign(cli, identity["principalId"], "Storage Blob Data Reader", msi_setup["account"]["id"])
    binding = msi_setup["binding"]
    token = httpx.get(
        binding["msi_endpoint"],
        params={
            "api-version": "2017-09-01",
            "resource": "https://storage.azure.com/",
            "clientid": identity["clientId"],
        },
        headers={"secret": binding["msi_secret"]},
    ).json()["access_token"]
    url = msi_setup["account"]["primaryEndpoints"]["blob"] + "models/note.txt"
    trust = ssl.create_default_context(cafile=msi_setup["ca"])
    headers = {"Authorization": f"Bearer {token}", "x-ms-version": "2021-08-06"}
    response = httpx.get(url, headers=headers, verify=trust)
    assert response.status_code == 200 and response.text == "read through a managed identity"
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    bad = httpx.get(url, headers={**headers, "Authorization": f"Bearer {forged}"}, verify=trust)
    assert bad.status_code == 401 and bad.headers["x-ms-error-code"] in (
        "InvalidAuthenticationInfo",
        "AuthenticationFailed",
    )
    anonymous = httpx.get(url, headers={"x-ms-version": "2021-08-06"}, verify=trust)
    assert anonymous.status_code in (401, 403)
