"""The Azure ML examples' managed-identity and Key Vault journeys, with ``az`` replaced by ``basin``.

The scoring scripts are deployed byte for byte: they build Azure's own URLs
(``https://{account}.blob.core.windows.net/...``, ``https://{vault}.vault.azure.net``) and reach
them through basin's forward proxy, which replicas get by default, with tokens from their
managed identity (``MSI_ENDPOINT`` / ``MSI_SECRET``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from basin.testing import ServerProcess
from tests.e2e.test_workspaces_cli import assign, ok

EXAMPLES = Path(__file__).parents[2] / "examples"
WS = ("-g", "rg-seed", "-w", "ws-seed")
HELLO = "hello from the seed's storage account"

Cli = Callable[..., Any]


@pytest.fixture(scope="module")
def workspace(server: ServerProcess) -> dict[str, Any]:
    from tests.conftest import run_cli

    ok(run_cli(server.home, "group", "create", "-n", "rg-seed"))
    return dict(ok(run_cli(server.home, "workspace", "create", "-n", "ws-seed", "-g", "rg-seed")))


@pytest.fixture(scope="module")
def example(
    tmp_path_factory: pytest.TempPathFactory, server: ServerProcess, workspace: dict[str, Any]
) -> Path:
    """examples/managed-identity with its model trained (train.py) and registered, the script
    untouched."""
    from tests.conftest import run_cli

    work = tmp_path_factory.mktemp("seed") / "managed-identity"
    shutil.copytree(EXAMPLES / "managed-identity", work)
    subprocess.run([sys.executable, "train.py"], cwd=work, check=True, capture_output=True)
    (work / "hello.txt").write_text(HELLO)
    ok(run_cli(server.home, "model", "create", "-n", "sklearn-regression", "-v", "1",
               "--path", str(work / "model"), *WS))  # fmt: skip
    return work


def _storage(cli: Cli, name: str, example: Path) -> dict[str, Any]:
    """The scripts' storage steps: account, container, the file."""
    account = ok(cli("storage", "account", "create", "--name", name, "-g", "rg-seed"))
    ok(cli("storage", "container", "create", "--account-name", name, "--name", "hellocontainer",
           "-g", "rg-seed"))  # fmt: skip
    ok(cli("storage", "blob", "upload", "--account-name", name, "--container-name",
           "hellocontainer", "--name", "hello.txt", "--file", str(example / "hello.txt"),
           "-g", "rg-seed"))  # fmt: skip
    return dict(account)


def _deployed_script(server: ServerProcess, script: Path) -> None:
    """The replica ran the example's file as it is in the repository, byte for byte."""
    deployed = [p for p in (server.home / "serving").rglob(script.name) if p.is_file()]
    assert any(p.read_bytes() == script.read_bytes() for p in deployed), deployed


def _both_reads_logged(cli: Cli, endpoint: str) -> None:
    logs = cli("online-deployment", "get-logs", "--endpoint-name", endpoint, "--name", "blue",
               "--lines", "300", *WS).out  # fmt: skip
    assert f"Read from storage by REST: {HELLO}" in logs, logs
    assert f"Read from storage with BlobClient: {HELLO}" in logs, logs
    assert "MSI_SECRET" not in logs


def _deploy(cli: Cli, endpoint: str, example: Path, account: str, *more: str) -> None:
    """``az ml online-deployment create`` as the scripts run it, with the storage names."""
    deployed = ok(
        cli(
            "online-deployment", "create", "--endpoint-name", endpoint, "--all-traffic",
            "--name", "blue", "--file", str(example / "blue.yml"), *WS,
            "--set", f"environment_variables.STORAGE_ACCOUNT_NAME={account}",
            "--set", "environment_variables.STORAGE_CONTAINER_NAME=hellocontainer",
            "--set", "environment_variables.FILE_NAME=hello.txt", *more,
        )
    )  # fmt: skip
    assert deployed["provisioning_state"] == "Succeeded", deployed.get("provisioning_message")


def _invoke(cli: Cli, endpoint: str, example: Path) -> None:
    answer = cli("online-endpoint", "invoke", "--name", endpoint, "--request-file",
                 str(example / "sample-request.json"), *WS)  # fmt: skip
    predictions = json.loads(json.loads(answer.out))  # az prints the answer as a JSON string
    assert len(predictions) == 2 and all(isinstance(p, float) for p in predictions)


def test_system_assigned_identity_reads_blob_core_windows_net(
    cli: Cli, server: ServerProcess, workspace: dict[str, Any], example: Path
) -> None:
    """deploy-managed-online-endpoint-access-resource-sai.sh, step by step."""
    account = _storage(cli, "oepstoragesai", example)
    created = ok(cli("online-endpoint", "create", "--name", "endpt-sai", "-f",
                     str(example / "endpoint.yml"), *WS))  # fmt: skip
    assert created["provisioning_state"] == "Succeeded"
    principal = ok(cli("online-endpoint", "show", "--name", "endpt-sai", *WS))["identity"][
        "principal_id"
    ]
    assign(cli, principal, "Storage Blob Data Reader", account["id"])
    _deploy(cli, "endpt-sai", example, "oepstoragesai")
    _deployed_script(server, example / "src" / "score.py")
    _both_reads_logged(cli, "endpt-sai")
    _invoke(cli, "endpt-sai", example)
    ok(cli("online-endpoint", "delete", "--name", "endpt-sai", "--yes", *WS))
    # its identity and role assignments went with it
    assert ok(cli("role", "assignment", "list", "--assignee", principal)) == []
    ok(cli("storage", "account", "delete", "--name", "oepstoragesai", "-g", "rg-seed", "--yes"))


def test_user_assigned_identity_reads_blob_core_windows_net(
    cli: Cli, server: ServerProcess, workspace: dict[str, Any], example: Path, tmp_path: Path
) -> None:
    """deploy-managed-online-endpoint-access-resource-uai.sh, step by step (UAI_CLIENT_ID)."""
    identity = ok(cli("identity", "create", "--name", "oep-user-identity", "-g", "rg-seed"))
    account = _storage(cli, "oepstorageuai", example)
    for role, scope in (
        ("Storage Blob Data Reader", account["id"]),
        ("AcrPull", workspace["container_registry"]),
        ("Storage Blob Data Reader", workspace["storage_account"]),
    ):
        assign(cli, identity["principalId"], role, scope)
    # 1-uai-create-endpoint.yml with the identity's id where the script --sets it
    endpoint_file = tmp_path / "1-uai-create-endpoint.yml"
    endpoint_file.write_text(
        "$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineEndpoint.schema.json\n"
        "name: my-uai-endpoint\nauth_mode: key\nidentity:\n  type: user_assigned\n"
        f"  user_assigned_identities:\n    - resource_id: {identity['id']}\n"
    )
    ok(cli("online-endpoint", "create", "--name", "endpt-uai", "-f", str(endpoint_file), *WS))
    _deploy(cli, "endpt-uai", example, "oepstorageuai",
            "--set", f"environment_variables.UAI_CLIENT_ID={identity['clientId']}")  # fmt: skip
    _deployed_script(server, example / "src" / "score.py")
    _both_reads_logged(cli, "endpt-uai")
    _invoke(cli, "endpt-uai", example)
    ok(cli("online-endpoint", "delete", "--name", "endpt-uai", "--yes", *WS))


def test_key_vault_secret_read_with_the_endpoints_identity(
    cli: Cli, server: ServerProcess, workspace: dict[str, Any], tmp_path: Path
) -> None:
    """deploy-moe-keyvault.sh, step by step."""
    example = tmp_path / "keyvault"
    shutil.copytree(EXAMPLES / "keyvault", example)
    endpoint, vault = "endpt-moe-kv", "kvexampleseed"
    ok(cli("online-endpoint", "create", "-n", endpoint, *WS))
    status = cli("online-endpoint", "show", "--name", endpoint, "--query", "provisioning_state",
                 "-o", "tsv", *WS)  # fmt: skip
    assert status.out.strip() == "Succeeded"
    ok(cli("keyvault", "create", "-n", vault, "-g", "rg-seed",
           "--enable-rbac-authorization", "false"))  # fmt: skip
    principal = cli("online-endpoint", "show", "-n", endpoint, "--query", "identity.principal_id",
                    "-o", "tsv", *WS).out.strip()  # fmt: skip
    ok(cli("keyvault", "set-policy", "-n", vault, "--object-id", principal,
           "--secret-permissions", "get"))  # fmt: skip
    ok(cli("keyvault", "secret", "set", "--vault-name", vault, "-n", "multiplier", "--value", "7"))
    deployed = ok(
        cli(
            "online-deployment", "create", "-f", str(example / "keyvault-deployment.yml"), *WS,
            "--set", f"endpoint_name={endpoint}",
            "--set", f"environment_variables.KV_SECRET_MULTIPLIER=multiplier@https://{vault}.vault.azure.net",
            "--all-traffic",
        )
    )  # fmt: skip
    assert deployed["provisioning_state"] == "Succeeded", deployed.get("provisioning_message")
    state = cli("online-deployment", "show", "--name", "kvdep", "-e", endpoint, "--query",
                "provisioning_state", "-o", "tsv", *WS)  # fmt: skip
    assert state.out.strip() == "Succeeded"
    _deployed_script(server, example / "code" / "score.py")
    answer = cli("online-endpoint", "invoke", "-n", endpoint, "--request-file",
                 str(example / "sample_request.json"), *WS)  # fmt: skip
    assert json.loads(json.loads(answer.out)) == {"output": 7}  # a JSON string, as az prints it
    ok(cli("online-endpoint", "delete", "--yes", "-n", endpoint, *WS))
    ok(cli("keyvault", "delete", "--name", vault))
