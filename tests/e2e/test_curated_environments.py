"""Azure ML's curated environments by every kind of reference, through a real server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from basin import MLClient
from basin.entities import (
    CodeConfiguration,
    ManagedOnlineDeployment,
    ManagedOnlineEndpoint,
)
from basin.errors import NotFoundError, ValidationError
from basin.testing import ServerProcess
from basin.testing.pythons import require_pythons
from tests.e2e._workspace import workspace_client
from tests.e2e.test_workspaces_cli import fails, ok

WORKSPACE_ENV = "azureml:AzureML-sklearn-1.5:1"
SCRIPT = """
import sklearn, numpy

def init():
    pass

def run(raw_data):
    return {"sklearn": sklearn.__version__, "numpy": numpy.__version__}
"""


@pytest.fixture(scope="module")
def client(server: ServerProcess) -> Iterator[MLClient]:
    with workspace_client(server, "rg-cur", "ws-cur") as made:
        made.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="curated")).result()
        yield made


@pytest.fixture(scope="module")
def code(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("curated") / "src"
    folder.mkdir()
    (folder / "score.py").write_text(SCRIPT)
    return folder


def _deployment(name: str, environment: str, code: Path, count: int) -> ManagedOnlineDeployment:
    return ManagedOnlineDeployment(
        name=name,
        endpoint_name="curated",
        code_configuration=CodeConfiguration(code=str(code), scoring_script="score.py"),
        environment=environment,
        instance_type="Standard_DS3_v2",
        instance_count=count,
    )


def test_the_registry_lists_the_curated_inference_environments(cli: Any) -> None:
    listed = ok(cli("environment", "list", "--registry-name", "azureml"))
    names = {env["name"] for env in listed}
    for family in ("sklearn", "lightgbm", "xgboost", "pytorch", "tensorflow", "minimal", "mlflow"):
        assert any(name.startswith(family) for name in names), (family, names)
    sklearn = ok(cli("environment", "show", "-n", "sklearn-1.5", "--registry", "azureml"))
    assert sklearn["id"] == "azureml://registries/azureml/environments/sklearn-1.5/versions/1"
    pip = sklearn["conda_file"]["dependencies"][-1]["pip"]
    assert all("==" in line for line in pip), pip  # every package pinned
    # Azure ML's older, longer names are aliases of the definitions.
    old = ok(cli("environment", "show", "-n", "sklearn-1.0-ubuntu20.04-py38-cpu", "--registry", "azureml"))  # fmt: skip
    assert old["name"] == "sklearn-1.0" and "python=3.8" in old["conda_file"]["dependencies"]
    fails(cli("environment", "list", "--registry-name", "myregistry"), "'azureml'")


def test_a_registry_reference_builds_and_serves(client: MLClient, code: Path) -> None:
    require_pythons("3.10")  # sklearn-1.5 pins it
    reference = "azureml://registries/azureml/environments/sklearn-1.5/labels/latest"
    done = client.online_deployments.begin_create_or_update(
        _deployment("labels", reference, code, 1)
    ).result()
    assert done.provisioning_state == "Succeeded", done.provisioning_message
    assert done.environment == WORKSPACE_ENV
    answer = json.loads(
        client.online_endpoints.invoke("curated", data={}, deployment_name="labels")
    )
    assert answer == {"sklearn": "1.5.2", "numpy": "1.26.4"}
    # Every other form names the same definition (no replicas: the build is shared).
    for name, other in (
        ("versions", "azureml://registries/azureml/environments/sklearn-1.5/versions/1"),
        ("at-latest", "azureml:AzureML-sklearn-1.5@latest"),
        ("colon", "azureml:AzureML-sklearn-1.5:1"),
    ):
        made = client.online_deployments.begin_create_or_update(
            _deployment(name, other, code, 0)
        ).result()
        assert made.provisioning_state == "Succeeded", (other, made.provisioning_message)
        assert made.environment == WORKSPACE_ENV, other
    shown = client.environments.get("AzureML-sklearn-1.5", "1")
    assert shown.build_state == "Succeeded" and shown.python_version.startswith("3.10")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("reference", "error", "says"),
    [
        pytest.param(
            "azureml://registries/azureml/environments/sklearn-9.9/labels/latest",
            NotFoundError,
            "Known: minimal-py312-inference",
            id="unknown-name",
        ),
        pytest.param(
            "azureml:AzureML-nope@latest", NotFoundError, "sklearn-1.5", id="unknown-workspace-form"
        ),
        pytest.param(
            "azureml://registries/other/environments/sklearn-1.5/labels/latest",
            ValidationError,
            "one registry, 'azureml'",
            id="other-registry",
        ),
        pytest.param(
            "azureml://registries/azureml/environments/sklearn-1.5/labels/prod",
            ValidationError,
            "the only label is 'latest'",
            id="unknown-label",
        ),
    ],
)
def test_bad_curated_references_are_refused_clearly(
    client: MLClient, code: Path, reference: str, error: type[Exception], says: str
) -> None:
    with pytest.raises(error, match=says):
        client.online_deployments.begin_create_or_update(_deployment("bad", reference, code, 0))


def test_curated_names_are_reserved(cli: Any, tmp_path: Path) -> None:
    conda = tmp_path / "conda.yml"
    conda.write_text("dependencies:\n  - python=3.11\n")
    fails(
        cli("environment", "create", "-n", "AzureML-mine", "--conda-file", str(conda),
            "-g", "rg-cur", "-w", "ws-cur"),
        "reserved for curated environments",
    )  # fmt: skip
