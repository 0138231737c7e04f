"""Every Python that Azure ML's conda files pin builds and serves: the same scikit-learn scoring
script deployed on Python 3.9 and 3.12 (real server, real uv builds, real replicas)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

from basin import MLClient
from basin.entities import (
    CodeConfiguration,
    Environment,
    ManagedOnlineDeployment,
    ManagedOnlineEndpoint,
    Model,
)
from basin.services.runtime_payload import OLDER_PYTHON_PINS
from basin.testing import ServerProcess
from basin.testing.pythons import installed_pythons, require_pythons
from tests.e2e._workspace import workspace_client
from tests.e2e.test_workspaces_cli import ok

WS = ("-g", "rg-py", "-w", "ws-py")
TRAIN = {"X": [[1.0, 0.5], [2.0, 1.0], [3.0, 1.5], [4.0, 3.0]], "y": [5.5, 8.0, 11.5, 18.0]}
QUERY = [[1.5, 2.0], [10.0, 0.0]]
SCRIPT = """
import json, os, sys
import numpy as np
from sklearn.linear_model import LinearRegression

def init():
    global model
    with open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "data", "train.json")) as handle:
        data = json.load(handle)
    model = LinearRegression().fit(np.asarray(data["X"]), np.asarray(data["y"]))

def run(raw_data):
    rows = np.asarray(json.loads(raw_data)["data"])
    return {"predictions": model.predict(rows).tolist(), "python": list(sys.version_info[:2])}
"""


@pytest.fixture(scope="module")
def client(server: ServerProcess) -> Iterator[MLClient]:
    with workspace_client(server, "rg-py", "ws-py") as made:
        yield made


def _deployment(name: str, python: str, code: Path, model: Path) -> ManagedOnlineDeployment:
    conda = {"dependencies": [f"python={python}", "numpy", "scikit-learn"]}
    return ManagedOnlineDeployment(
        name=name,
        endpoint_name="pythons",
        model=Model(path=str(model)),
        code_configuration=CodeConfiguration(code=str(code), scoring_script="score.py"),
        environment=Environment(image="basin:minimal", conda_file=conda),
        instance_type="Standard_DS3_v2",
    )


def test_the_same_sklearn_script_serves_on_python_3_9_and_3_12(
    client: MLClient, server: ServerProcess, tmp_path: Path
) -> None:
    require_pythons("3.9", "3.12")
    code = tmp_path / "src"
    code.mkdir()
    (code / "score.py").write_text(SCRIPT)
    model = tmp_path / "data"
    model.mkdir()
    (model / "train.json").write_text(json.dumps(TRAIN))
    client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="pythons")).result()
    pollers = {
        python: client.online_deployments.begin_create_or_update(
            _deployment("py" + python.replace(".", ""), python, code, model)
        )
        for python in ("3.9", "3.12")
    }
    expected = LinearRegression().fit(TRAIN["X"], TRAIN["y"]).predict(np.asarray(QUERY))
    for python, poller in pollers.items():
        done = poller.result()
        assert done.provisioning_state == "Succeeded", done.provisioning_message
        answer = json.loads(
            client.online_endpoints.invoke(
                "pythons", data={"data": QUERY}, deployment_name=done.name
            )
        )
        assert answer["python"] == [int(part) for part in python.split(".")]
        assert np.allclose(answer["predictions"], expected)
        assert isinstance(done.environment, str)
        env = client.environments.get(*done.environment.removeprefix("azureml:").split(":"))
        assert env.python_version and env.python_version.startswith(python + ".")
    # On 3.9 the runtime prefers the newest uvicorn that still supports it, and keeps its
    # wheels (repacked from the built environment) for the next build on 3.9.
    uvicorn_39 = OLDER_PYTHON_PINS[(3, 9)]["uvicorn"]
    lock = client.environments.get(
        *str(client.online_deployments.get("py39", "pythons").environment)
        .removeprefix("azureml:")
        .split(":")
    ).lock
    assert lock is not None and f"uvicorn=={uvicorn_39}" in lock
    kept = list((server.home / "wheelhouse").glob(f"py3.9-*/uvicorn-{uvicorn_39}-*.whl"))
    assert kept, "the runtime's wheels for Python 3.9 were not kept"


def test_a_missing_python_builds_on_the_nearest_with_the_plain_flag(
    cli: Any, client: MLClient, tmp_path: Path
) -> None:
    conda = tmp_path / "conda.yml"
    conda.write_text("dependencies:\n  - python=3.99\n")
    created = ok(
        cli(
            "environment", "create", "-n", "nearest", "--conda-file", str(conda),
            "--set", "allow_nearest_python=true", *WS,
        )
    )  # fmt: skip
    newest = installed_pythons()[0].minor_text
    assert created["build_state"] == "Succeeded"
    assert created["python_version"].startswith(newest + ".")
    assert any("nearest" in note for note in created["notes"])
