"""azure-ai-ml's surface in basin's SDK against a real server: the generic create verbs for
every entity kind, pollers that raise from result(), azure-ai-ml's exception and constant
names, local endpoints with local=True, and the names the examples' notebooks import."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from basin import MLClient
from basin.entities import (
    CodeConfiguration,
    Environment,
    ManagedIdentityResource,
    ManagedOnlineDeployment,
    ManagedOnlineEndpoint,
    Model,
    PatTokenConfiguration,
    ResourceGroup,
    StorageAccount,
    Workspace,
    WorkspaceConnection,
)
from basin.testing import ServerProcess

#: What the azureml-examples online-endpoint notebooks import, with the import swapped.
IMPORTED = [
    ("basin", "MLClient"),
    *(
        ("basin.entities", name)
        for name in (
            "ManagedOnlineEndpoint", "ManagedOnlineDeployment", "Model", "Environment",
            "CodeConfiguration", "BuildContext", "ProbeSettings", "IdentityConfiguration",
            "ManagedIdentityConfiguration", "OnlineRequestSettings", "DefaultScaleSettings",
        )
    ),
    ("basin.constants", "AssetTypes"),
    ("basin.exceptions", "DeploymentException"),
    ("basin.exceptions", "ValidationException"),
]  # fmt: skip
#: ... and what basin refuses, with the words of what to do instead.
REFUSED = [
    ("basin.entities", "KubernetesOnlineEndpoint", "ManagedOnlineEndpoint"),
    ("basin.entities", "KubernetesOnlineDeployment", "ManagedOnlineDeployment"),
    ("basin.entities", "AzureMLOnlineInferencingServer", "model packages"),
    ("basin.entities", "ModelConfiguration", "model packages"),
    ("basin.entities", "ModelPackage", "model packages"),
    ("basin.entities", "BaseEnvironment", "Environment"),
    ("basin", "load_compute", "compute"),
    ("basin.constants", "JobType", "AssetTypes"),
]

SCRIPT = """
import os
def init():
    needed = os.environ.get("NEEDS_FILE")
    if needed and not os.path.exists(needed):
        raise RuntimeError("missing " + needed)
def run(raw_data):
    return {"ok": True, "model": sorted(os.listdir(os.environ.get("AZUREML_MODEL_DIR", ".")))}
"""


@pytest.mark.parametrize(("module", "name"), IMPORTED)
def test_the_notebooks_imports_resolve(module: str, name: str) -> None:
    assert getattr(importlib.import_module(module), name) is not None


@pytest.mark.parametrize(("module", "name", "words"), REFUSED)
def test_what_basin_lacks_is_refused_with_what_to_use(module: str, name: str, words: str) -> None:
    with pytest.raises(ImportError) as refused:
        exec(f"from {module} import {name}", {})
    assert words in str(refused.value) and name in str(refused.value)


def test_azure_ai_ml_exception_names_are_basins_classes() -> None:
    from basin import errors
    from basin.exceptions import DeploymentException, MlException, ValidationException

    assert ValidationException is errors.ValidationError
    assert DeploymentException is errors.DeploymentFailedError
    assert issubclass(errors.NotFoundError, MlException)


@pytest.fixture(scope="module")
def client(server: ServerProcess) -> Iterator[MLClient]:
    with MLClient(None, None, "rg-sdk", "ws-sdk", server=server.url, token=server.token) as made:
        yield made


@pytest.fixture(scope="module")
def code(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sdk") / "src"
    folder.mkdir()
    (folder / "score.py").write_text(SCRIPT)
    return folder


def test_generic_create_verbs_take_every_entity_kind(
    client: MLClient, code: Path, tmp_path: Path
) -> None:
    from basin.exceptions import ValidationException

    assert client.create_or_update(ResourceGroup(name="rg-sdk")).name == "rg-sdk"
    workspace = client.begin_create_or_update(Workspace(name="ws-sdk")).result()
    assert workspace.name == "ws-sdk"
    store = client.create_or_update(StorageAccount(name="sdkstore", resource_group="rg-sdk"))
    assert store.name == "sdkstore" and store.location == "local"
    uai = client.create_or_update(ManagedIdentityResource(name="sdk-uai", resource_group="rg-sdk"))
    assert uai.client_id
    (tmp_path / "weights.bin").write_bytes(b"w")
    model = client.create_or_update(Model(name="sdk-model", path=str(tmp_path / "weights.bin")))
    assert model.version == "1"
    env = client.begin_create_or_update(Environment(name="sdk-env", image="basin:minimal")).result()
    assert env.name == "sdk-env"
    connection = client.create_or_update(
        WorkspaceConnection(
            name="sdk-feed",
            type="python_feed",
            target="https://pkgs.example.com/simple",
            credentials=PatTokenConfiguration(pat="not-a-secret"),
        )
    )
    assert connection.name == "sdk-feed"
    endpoint = client.begin_create_or_update(ManagedOnlineEndpoint(name="sdk-endpoint")).result()
    assert endpoint.provisioning_state == "Succeeded"
    deployment = ManagedOnlineDeployment(
        name="blue",
        endpoint_name="sdk-endpoint",
        model="azureml:sdk-model:1",
        code_configuration=CodeConfiguration(code=str(code), scoring_script="score.py"),
        environment="azureml:sdk-env@latest",
        instance_type="Standard_DS3_v2",
    )
    done = client.create_or_update(deployment)
    assert done.provisioning_state == "Succeeded"
    endpoint.traffic = {"blue": 100}
    client.begin_create_or_update(endpoint).result()
    answer = json.loads(client.online_endpoints.invoke("sdk-endpoint", data={}))
    assert answer == {"ok": True, "model": ["weights.bin"]}
    with pytest.raises(ValidationException) as refused:
        client.begin_create_or_update(object())
    assert "ManagedOnlineDeployment" in str(refused.value)
    with pytest.raises(ValidationException):  # a server-side refusal, caught by its azure name
        client.begin_create_or_update(ManagedOnlineEndpoint(name="9-not-a-name"))


def test_a_failed_deployment_raises_from_result_not_from_the_call(
    client: MLClient, code: Path, tmp_path: Path
) -> None:
    from basin.exceptions import DeploymentException

    client.begin_create_or_update(ManagedOnlineEndpoint(name="sdk-fails")).result()
    needed = tmp_path / "needed"
    deployment = ManagedOnlineDeployment(
        name="blue",
        endpoint_name="sdk-fails",
        code_configuration=CodeConfiguration(code=str(code), scoring_script="score.py"),
        environment=Environment(image="basin:minimal"),
        environment_variables={"NEEDS_FILE": str(needed)},
        instance_type="Standard_DS3_v2",
    )
    poller = client.begin_create_or_update(deployment)  # accepted: no exception here
    with pytest.raises(DeploymentException) as failed:
        poller.result()
    assert "missing" in str(failed.value)
    assert poller.done() and poller.status() == "Failed"
    needed.write_text("now")
    assert client.begin_create_or_update(deployment).result().provisioning_state == "Succeeded"


def test_local_endpoints_from_the_sdk(
    client: MLClient,
    code: Path,
    tmp_path: Path,
    server: ServerProcess,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BASIN_HOME", str(server.home))
    (tmp_path / "model.pkl").write_bytes(b"m")
    endpoint = ManagedOnlineEndpoint(name="sdk-local")
    client.online_endpoints.begin_create_or_update(endpoint, local=True)
    blue = ManagedOnlineDeployment(
        name="blue",
        endpoint_name="sdk-local",
        model=Model(path=str(tmp_path / "model.pkl")),
        code_configuration=CodeConfiguration(code=str(code), scoring_script="score.py"),
        environment=Environment(image="basin:minimal"),
        instance_type="Standard_DS3_v2",
    )
    client.online_deployments.begin_create_or_update(deployment=blue, local=True).result()
    shown = client.online_endpoints.get(name="sdk-local", local=True)
    assert shown.scoring_uri and shown.scoring_uri.startswith("http://localhost:")
    answer = client.online_endpoints.invoke(
        endpoint_name="sdk-local", request_file=None, data={}, local=True
    )
    assert json.loads(answer) == {"ok": True, "model": ["model.pkl"]}
    logs = client.online_deployments.get_logs(
        name="blue", endpoint_name="sdk-local", local=True, lines=50
    )
    assert "Entry Script Name" in logs, logs
    client.online_endpoints.begin_delete(name="sdk-local", local=True)
    assert client.online_endpoints.list(local=True) == []
