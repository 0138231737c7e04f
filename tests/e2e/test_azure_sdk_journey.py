"""The real azure-ai-ml and Azure's management SDKs, unchanged, against basin.

The SDKs live in a venv of their own (``bench/.venvs/azure-sdks``, pinned in
``basin.testing.azureml_sdk.AZURE_SDK_PINS``) and reach basin only through what ``basin env``
prints and a service principal's ``AZURE_CLIENT_ID`` / ``AZURE_CLIENT_SECRET`` /
``AZURE_TENANT_ID``: ``login.microsoftonline.com`` and ``management.azure.com`` are answered
by basin's proxy. The workspace is made by azure-ai-ml's ``workspaces.begin_create`` (Azure ML's
own ARM template), then ``examples/managed-identity/sdk_journey.py`` (Azure ML's managed-identity
notebook as a script) runs twice without a change: model and environment, endpoint with a
system-assigned identity, storage account and blob, role assignment, a deployment whose init()
reads the blob, logs, traffic, invoke, keys, delete.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from basin.testing import ServerProcess
from basin.testing.azureml_sdk import ensure_azure_sdks
from basin.testing.sdk_journey import Journey, prepare, run_journey
from tests.conftest import run_cli
from tests.e2e.test_workspaces_cli import fails, ok

ROOT = Path(__file__).resolve().parents[2]
SDK_VENV = ROOT / "bench" / ".venvs" / "azure-sdks"
GREETING = "hello from the journey's storage account"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def python() -> Path:
    return ensure_azure_sdks(SDK_VENV)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, build_cache: Path) -> Iterator[ServerProcess]:
    home = tmp_path_factory.mktemp("home")
    with ServerProcess(home, extra_env={"BASIN_BUILD_CACHE": str(build_cache)}) as process:
        yield process


@pytest.fixture(scope="module")
def journey(
    server: ServerProcess, python: Path, tmp_path_factory: pytest.TempPathFactory
) -> Journey:
    """Resource group, service principal, ``basin env``, the workspace (by azure-ai-ml)."""
    made = prepare(server, python, tmp_path_factory.mktemp("journey") / "managed-identity")
    return Journey(made.workdir, made.env | {"JOURNEY_GREETING": GREETING}, made.secrets)


@pytest.fixture(scope="module")
def runs(python: Path, journey: Journey) -> list[dict[str, Any]]:
    """The journey twice on the same workspace (a notebook run again)."""
    results = []
    for suffix in ("1", "2"):
        done = run_journey(python, journey, suffix=suffix)
        assert done.returncode == 0 and done.result is not None, done.stderr[-8000:]
        results.append(done.result)
    return results


def test_the_notebook_runs_unchanged_against_basin(runs: list[dict[str, Any]]) -> None:
    for run in runs:
        assert run["deployment_state"] == "Succeeded"
        predictions = run["predictions"]
        assert len(predictions) == 2 and all(isinstance(p, float) for p in predictions)
        # init() read the blob the journey uploaded, with the endpoint's managed identity
        assert f"Read from storage by REST: {GREETING}" in run["logs"]
        assert f"Read from storage with BlobClient: {GREETING}" in run["logs"]
        assert run["has_keys"] and run["principal_id"]
    # registered again: the model takes the next version; the environment's build is reused
    assert [r["model"] for r in runs] == ["sklearn-regression:1", "sklearn-regression:2"]
    assert runs[0]["principal_id"] != runs[1]["principal_id"]


def test_the_deployment_ran_the_uploaded_script_byte_for_byte(
    server: ServerProcess, runs: list[dict[str, Any]]
) -> None:
    script = ROOT / "examples" / "managed-identity" / "src" / "score.py"
    deployed = [p for p in (server.home / "serving").rglob("score.py") if p.is_file()]
    assert deployed and all(p.read_bytes() == script.read_bytes() for p in deployed)


def test_what_the_journey_made_is_gone(server: ServerProcess, runs: list[dict[str, Any]]) -> None:
    ws = ("-g", "rg-journey", "-w", "ws-journey")
    assert ok(run_cli(server.home, "online-endpoint", "list", *ws)) == []
    accounts = ok(run_cli(server.home, "storage", "account", "list", "-g", "rg-journey"))
    assert not [a for a in accounts if a["name"].startswith("oepstorage")]
    for run in runs:  # the endpoint's identity went with it, and its role assignment
        found = ok(
            run_cli(server.home, "role", "assignment", "list", "--assignee", run["principal_id"])
        )
        assert found == []


def test_the_workspace_was_made_through_azure_mls_template(
    server: ServerProcess, journey: Journey
) -> None:
    shown = ok(run_cli(server.home, "workspace", "show", "-n", "ws-journey", "-g", "rg-journey"))
    assert shown["storage_account"] and shown["key_vault"] and shown["container_registry"]
    assert shown["tags"].get("createdByToolkit", "").startswith("sdk-v2-")
    log = "".join(server.output)
    assert "PUT management.azure.com/subscriptions/" in log
    assert "/providers/Microsoft.Resources/deployments/ws-journey" in log


def test_a_wrong_secret_is_refused_in_entras_words(python: Path, journey: Journey) -> None:
    env = journey.env | {"AZURE_CLIENT_SECRET": "not-the-secret"}
    code = (
        "import os\nfrom azure.ai.ml import MLClient\nfrom azure.identity import "
        "DefaultAzureCredential\nc = MLClient(DefaultAzureCredential(), os.environ['SUBSCRIPTION_ID'], "
        "os.environ['RESOURCE_GROUP'], os.environ['WORKSPACE_NAME'])\nc.workspaces.get()\n"
    )
    done = subprocess.run(
        [str(python), "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert "AADSTS7000215" in done.stderr and "Invalid client secret" in done.stderr
    assert "not-the-secret" not in done.stderr


def test_ad_sp_create_for_rbac_prints_what_az_prints(server: ServerProcess) -> None:
    sub = server.credentials["subscription_id"]
    group = f"/subscriptions/{sub}/resourceGroups/rg-journey"
    workspace = f"{group}/providers/Microsoft.MachineLearningServices/workspaces/ws-journey"
    made = ok(run_cli(server.home, "ad", "sp", "create-for-rbac", "--name", "reader-app",
                      "--role", "Reader", "--scopes", group, workspace))  # fmt: skip
    assert sorted(made) == ["appId", "displayName", "password", "tenant"]
    assert made["displayName"] == "reader-app" and made["tenant"] == server.credentials["tenant_id"]
    held = ok(run_cli(server.home, "role", "assignment", "list", "--assignee", made["appId"]))
    assert sorted((a["roleDefinitionName"], a["scope"]) for a in held) == [
        ("Reader", group),
        ("Reader", workspace),
    ]
    message = fails(
        run_cli(server.home, "ad", "sp", "create-for-rbac", "--name", "x", "--role", "Reader")
    )
    assert "--scopes" in message
    # a role that does not exist leaves no principal behind
    fails(run_cli(server.home, "ad", "sp", "create-for-rbac", "--name", "bad-role-app",
                  "--role", "No Such Role", "--scopes", group))  # fmt: skip
    names = [p["displayName"] for p in ok(run_cli(server.home, "ad", "sp", "list"))]
    assert "bad-role-app" not in names


def test_no_secret_reaches_the_server_log(
    server: ServerProcess, journey: Journey, runs: list[dict[str, Any]]
) -> None:
    log = "".join(server.output)
    for secret in journey.secrets:
        assert secret not in log
    assert "sig=" not in log and "sasToken" not in log and "AccountKey" not in log


_USER_ASSIGNED = r"""
import os
from azure.ai.ml import MLClient
from azure.ai.ml.entities import IdentityConfiguration, ManagedIdentityConfiguration, ManagedOnlineEndpoint
from azure.identity import DefaultAzureCredential
from azure.mgmt.msi import ManagedServiceIdentityClient
credential = DefaultAzureCredential()
sub, group = os.environ["SUBSCRIPTION_ID"], os.environ["RESOURCE_GROUP"]
msi = ManagedServiceIdentityClient(credential, sub)
uai = msi.user_assigned_identities.create_or_update(group, "journey-uai", {"location": "local"})
ml_client = MLClient(credential, sub, group, os.environ["WORKSPACE_NAME"])
endpoint = ManagedOnlineEndpoint(name="endpt-uai-sdk", auth_mode="key", identity=IdentityConfiguration(
    type="user_assigned", user_assigned_identities=[ManagedIdentityConfiguration(resource_id=uai.id)]))
ml_client.online_endpoints.begin_create_or_update(endpoint).result()
shown = ml_client.online_endpoints.get("endpt-uai-sdk").identity
print(shown.type, shown.user_assigned_identities[0].resource_id, uai.client_id, uai.principal_id)
ml_client.online_endpoints.begin_delete("endpt-uai-sdk").result()
msi.user_assigned_identities.delete(group, "journey-uai")
"""


def test_a_user_assigned_identity_made_with_azure_mgmt_msi(
    server: ServerProcess, python: Path, journey: Journey
) -> None:
    done = subprocess.run(
        [str(python), "-c", _USER_ASSIGNED], env=journey.env, capture_output=True, text=True,
        timeout=180, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    kind, resource_id, client_id, principal_id = done.stdout.split()[-4:]
    assert kind == "user_assigned" and resource_id.endswith("/userAssignedIdentities/journey-uai")
    assert client_id and principal_id
    identities = ok(run_cli(server.home, "identity", "list", "-g", "rg-journey"))
    assert "journey-uai" not in [i["name"] for i in identities]


_KEY_VAULT = r"""
import base64, json, os
from azure.core.exceptions import HttpResponseError
from azure.identity import DefaultAzureCredential
from azure.keyvault.secrets import SecretClient
from azure.mgmt.keyvault import KeyVaultManagementClient
from azure.mgmt.keyvault.models import (
    AccessPolicyEntry, Permissions, SecretPermissions, Sku, VaultAccessPolicyParameters,
    VaultAccessPolicyProperties, VaultCreateOrUpdateParameters, VaultProperties,
)
credential = DefaultAzureCredential()
sub, group = os.environ["SUBSCRIPTION_ID"], os.environ["RESOURCE_GROUP"]
token = credential.get_token("https://management.azure.com/.default").token
me = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "==="))["oid"]
tenant = os.environ["AZURE_TENANT_ID"]
mgmt = KeyVaultManagementClient(credential, sub)
mine = AccessPolicyEntry(tenant_id=tenant, object_id=me, permissions=Permissions(secrets=[SecretPermissions.ALL]))
vault = mgmt.vaults.begin_create_or_update(group, "journeyvault", VaultCreateOrUpdateParameters(
    location="westeurope", properties=VaultProperties(tenant_id=tenant, sku=Sku(name="standard", family="A"),
    enable_rbac_authorization=False, access_policies=[mine]))).result()
secrets = SecretClient(vault.properties.vault_uri, credential)
secrets.set_secret("multiplier", "7")
print("read", secrets.get_secret("multiplier").value)
print("listed", [v.name for v in mgmt.vaults.list_by_resource_group(group)])
mgmt.vaults.update_access_policy(group, "journeyvault", "remove", VaultAccessPolicyParameters(
    properties=VaultAccessPolicyProperties(access_policies=[mine])))
try:
    secrets.get_secret("multiplier")
    print("still-readable")
except HttpResponseError as error:
    print("refused", error.status_code)
mgmt.vaults.delete(group, "journeyvault")
"""


def test_a_key_vault_made_with_azure_mgmt_keyvault_serves_its_access_policies(
    server: ServerProcess, python: Path, journey: Journey
) -> None:
    done = subprocess.run(
        [str(python), "-c", _KEY_VAULT], env=journey.env, capture_output=True, text=True,
        timeout=180, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    assert "read 7" in done.stdout and "refused 403" in done.stdout, done.stdout
    assert "'journeyvault'" in done.stdout
    vaults = ok(run_cli(server.home, "keyvault", "list", "-g", "rg-journey"))
    assert "journeyvault" not in [v["name"] for v in vaults]


_AZ_CLI_CREDENTIAL = r"""
import os
from azure.identity import AzureCliCredential
from azure.mgmt.msi import ManagedServiceIdentityClient
msi = ManagedServiceIdentityClient(AzureCliCredential(), os.environ["SUBSCRIPTION_ID"])
made = msi.user_assigned_identities.create_or_update(os.environ["RESOURCE_GROUP"], "cli-uai", {"location": "local"})
print("made", made.name, made.principal_id)
msi.user_assigned_identities.delete(os.environ["RESOURCE_GROUP"], "cli-uai")
"""


def test_azure_cli_credential_gets_basins_tokens_where_az_is_basin(
    server: ServerProcess, python: Path, journey: Journey, tmp_path: Path
) -> None:
    """A notebook's AzureCliCredential runs `az account get-access-token`: with `az` -> basin
    on PATH (the scripts' substitution) it signs in as the CLI's user."""
    (tmp_path / "az").symlink_to(Path(sys.executable).parent / "basin")
    env = {k: v for k, v in journey.env.items() if not k.startswith("AZURE_CLIENT")}
    env |= {"PATH": f"{tmp_path}{os.pathsep}{env.get('PATH', '')}", "BASIN_HOME": str(server.home)}
    done = subprocess.run(
        [str(python), "-c", _AZ_CLI_CREDENTIAL], env=env, capture_output=True, text=True,
        timeout=180, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    assert "made cli-uai" in done.stdout
    foreign = "00000000-0000-0000-0000-000000000000"
    refused = run_cli(server.home, "account", "get-access-token", "--tenant", foreign)
    fails(refused, "is not this basin installation's")
