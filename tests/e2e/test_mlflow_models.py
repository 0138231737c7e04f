"""MLflow models deployed with no scoring script and no environment ("no-code deployment").

The models are saved by the test with the real mlflow package into folders (no internet for
the models themselves); the server builds each model's own environment (from its conda.yaml)
with uv, serves it with basin's generated scoring script, and answers Azure ML's MLflow input
shapes through the gateway.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

from basin import MLClient
from basin.entities import ManagedOnlineDeployment, ManagedOnlineEndpoint, Model
from basin.errors import ValidationError
from basin.testing import ServerProcess
from tests.e2e._workspace import workspace_client

COLUMNS = ["age", "bmi"]
TRAIN = pd.DataFrame({"age": [1.0, 2.0, 3.0, 4.0], "bmi": [0.5, 1.0, 1.5, 3.0]})
TARGET = 2 * TRAIN["age"] + 3 * TRAIN["bmi"] + 1
#: What the logged models need, pinned to this venv's versions (mlflow-skinny: pyfunc loading
#: needs no tracking server, and the full mlflow would add a few hundred MB to the build).
PACKAGES = ("mlflow-skinny", "scikit-learn", "numpy", "pandas", "scipy", "skops")


def _save(folder: Path, features: Any) -> Path:
    import mlflow.sklearn
    from mlflow.models import infer_signature
    from sklearn.linear_model import LinearRegression

    model = LinearRegression().fit(features, TARGET)
    with warnings.catch_warnings():
        # mlflow's own code meets pandas 3 deprecations (and the suite turns warnings into
        # errors); nothing the test can change.
        warnings.simplefilter("ignore")
        mlflow.sklearn.save_model(
            model,
            str(folder),
            signature=infer_signature(features, model.predict(features)),
            input_example=features[:2],
            pip_requirements=[f"{name}=={version(name)}" for name in PACKAGES],
        )
    return folder


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("mlflow")
    return {
        # a column-based signature (a DataFrame), saved with skops (mlflow's default)
        "table": _save(root / "table" / "model", TRAIN),
        # a tensor signature (a numpy array)
        "tensor": _save(root / "tensor" / "model", TRAIN.to_numpy()),
    }


@pytest.fixture(scope="module")
def client(server: ServerProcess) -> Iterator[MLClient]:
    with workspace_client(server, "rg-mlf", "ws-mlf") as made:
        yield made


@pytest.fixture(scope="module")
def scoring(client: MLClient, models: dict[str, Path]) -> tuple[str, dict[str, str]]:
    """One endpoint, a no-code deployment per model (no code_configuration, no environment)."""
    client.online_endpoints.begin_create_or_update(
        ManagedOnlineEndpoint(name="mlflow-ncd")
    ).result()
    pollers = [
        client.online_deployments.begin_create_or_update(
            ManagedOnlineDeployment(
                name=name,
                endpoint_name="mlflow-ncd",
                model=Model(path=str(folder), type="mlflow_model"),
                instance_type="Standard_DS3_v2",
            )
        )
        for name, folder in models.items()
    ]
    for poller in pollers:
        done = poller.result()
        assert done.provisioning_state == "Succeeded", done.provisioning_message
        assert done.code_configuration is None and done.environment is None
    endpoint = client.online_endpoints.get("mlflow-ncd")
    keys = client.online_endpoints.get_keys("mlflow-ncd")
    assert endpoint.scoring_uri
    return endpoint.scoring_uri, {"Authorization": f"Bearer {keys.primary_key}"}  # type: ignore[union-attr]


def _score(scoring: tuple[str, dict[str, str]], deployment: str, body: Any) -> httpx.Response:
    uri, headers = scoring
    headers = {**headers, "azureml-model-deployment": deployment}
    return httpx.post(uri, json=body, headers=headers, timeout=60)


def _expected(rows: list[list[float]]) -> list[float]:
    return [2 * age + 3 * bmi + 1 for age, bmi in rows]


ROWS = [[1.5, 2.0], [10.0, 0.0]]


@pytest.mark.parametrize(
    "input_data",
    [
        pytest.param({"columns": COLUMNS, "index": [0, 1], "data": ROWS}, id="columns-index-data"),
        pytest.param({"columns": COLUMNS, "data": ROWS}, id="split-without-index"),
        pytest.param({"age": [1.5, 10.0], "bmi": [2.0, 0.0]}, id="named-columns"),
    ],
)
def test_table_model_answers_each_input_shape(
    scoring: tuple[str, dict[str, str]], input_data: Any
) -> None:
    answer = _score(scoring, "table", {"input_data": input_data})
    assert answer.status_code == 200, answer.text
    assert np.allclose(answer.json(), _expected(ROWS))


def test_tensor_model_answers_a_tensor(scoring: tuple[str, dict[str, str]]) -> None:
    answer = _score(scoring, "tensor", {"input_data": ROWS})
    assert answer.status_code == 200, answer.text
    assert np.allclose(answer.json(), _expected(ROWS))


@pytest.mark.parametrize(
    ("deployment", "body", "says"),
    [
        pytest.param(
            "table",
            {"input_data": {"columns": ["age"], "data": [[1.0]]}},
            "does not match the model's signature",
            id="missing-column",
        ),
        pytest.param("table", {"input_data": 7}, "input_data could not be read", id="unreadable"),
        pytest.param(
            "table",
            {"data": ROWS},
            "A value is not provided for the 'input_data' parameter",
            id="no-input-data",
        ),
    ],
)
def test_bad_input_is_a_clear_400(
    scoring: tuple[str, dict[str, str]], deployment: str, body: Any, says: str
) -> None:
    answer = _score(scoring, deployment, body)
    # The gateway answers 424 for a replica's non-2xx, as Azure ML does, with its status.
    assert answer.status_code == 424
    assert answer.headers["ms-azureml-model-error-statuscode"] == "400"
    assert says in answer.json()["message"]


def test_swagger_comes_from_the_signature(scoring: tuple[str, dict[str, str]]) -> None:
    uri, headers = scoring
    swagger = httpx.get(
        uri.removesuffix("/score") + "/swagger.json",
        headers={**headers, "azureml-model-deployment": "table"},
        timeout=30,
    )
    assert swagger.status_code == 200, swagger.text
    service_input = swagger.json()["definitions"]["ServiceInput"]
    table = service_input["properties"]["input_data"]
    assert table["format"] == "pandas.DataFrame:split"
    assert service_input["example"]["input_data"]["columns"] == COLUMNS
    assert swagger.json()["definitions"]["ServiceOutput"]["format"] == "numpy.ndarray"


def test_a_script_without_environment_is_refused(client: MLClient, tmp_path: Path) -> None:
    from basin.entities import CodeConfiguration

    (tmp_path / "score.py").write_text("def init(): pass\ndef run(d): return d\n")
    with pytest.raises(ValidationError, match="needs an 'environment'"):
        client.online_deployments.begin_create_or_update(
            ManagedOnlineDeployment(
                name="noenv",
                endpoint_name="mlflow-ncd",
                code_configuration=CodeConfiguration(code=str(tmp_path), scoring_script="score.py"),
                instance_type="Standard_DS3_v2",
            )
        )


def test_a_custom_model_without_a_script_is_refused(
    client: MLClient, scoring: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    (tmp_path / "weights.json").write_text(json.dumps([1, 2]))
    with pytest.raises(ValidationError, match="unless its model is an MLflow model"):
        client.online_deployments.begin_create_or_update(
            ManagedOnlineDeployment(
                name="custom",
                endpoint_name="mlflow-ncd",
                model=Model(path=str(tmp_path)),
                instance_type="Standard_DS3_v2",
            )
        )
