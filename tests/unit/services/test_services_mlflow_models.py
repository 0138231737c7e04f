"""What basin reads of an MLflow model to serve it without a script."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml

from basin.errors import DeploymentFailedError
from basin.services import mlflow_models

MLMODEL = {
    "flavors": {
        "python_function": {
            "env": {"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
            "loader_module": "mlflow.sklearn",
        }
    }
}
CONDA = {
    "channels": ["conda-forge"],
    "dependencies": [
        "python=3.12.3",
        "pip<=24.0",
        {"pip": ["mlflow==2.19.0", "scikit-learn==1.6.1"]},
    ],
    "name": "mlflow-env",
}


def _model(folder: Path, mlmodel: Mapping[str, object] = MLMODEL) -> Path:
    folder.mkdir(parents=True)
    (folder / "MLmodel").write_text(yaml.safe_dump(dict(mlmodel)))
    return folder


def test_the_mlmodel_folder_is_found_at_the_root_or_one_level_down(tmp_path: Path) -> None:
    _model(tmp_path / "root")
    assert mlflow_models.model_folder(tmp_path / "root") == ""
    _model(tmp_path / "upload" / "model")
    assert mlflow_models.model_folder(tmp_path / "upload") == "model"
    (tmp_path / "empty").mkdir()
    with pytest.raises(DeploymentFailedError, match="no MLmodel file"):
        mlflow_models.model_folder(tmp_path / "empty")


def test_the_environment_is_the_model_s_conda_file_plus_inference_schema(tmp_path: Path) -> None:
    folder = _model(tmp_path / "m")
    (folder / "conda.yaml").write_text(yaml.safe_dump(CONDA))
    env, notes = mlflow_models.environment_for(folder)
    assert env.image == "basin:minimal"
    assert isinstance(env.conda_file, dict)
    pip = env.conda_file["dependencies"][-1]["pip"]
    assert pip == ["mlflow==2.19.0", "scikit-learn==1.6.1", "inference-schema>=1.5"]
    assert env.conda_file["dependencies"][0] == "python=3.12.3"
    assert notes == ["environment from the model's conda.yaml"]


def test_a_python_env_file_with_requirements_serves_too(tmp_path: Path) -> None:
    mlmodel = {"flavors": {"python_function": {"env": {"virtualenv": "python_env.yaml"}}}}
    folder = _model(tmp_path / "m", mlmodel)
    (folder / "python_env.yaml").write_text(
        "python: 3.10.12\nbuild_dependencies: [pip]\ndependencies:\n  - -r requirements.txt\n"
    )
    (folder / "requirements.txt").write_text("mlflow-skinny==3.1.0\n# a comment\nlightgbm==4.6.0\n")
    env, _ = mlflow_models.environment_for(folder)
    assert env.conda_file == {
        "dependencies": [
            "python=3.10.12",
            {"pip": ["mlflow-skinny==3.1.0", "lightgbm==4.6.0", "inference-schema>=1.5"]},
        ]
    }


def test_a_model_without_a_pyfunc_flavor_needs_a_script(tmp_path: Path) -> None:
    folder = _model(tmp_path / "m", {"flavors": {"keras": {}}})
    with pytest.raises(DeploymentFailedError, match="no python_function flavor"):
        mlflow_models.environment_for(folder)


def test_the_generated_script_is_written_once(tmp_path: Path) -> None:
    first = mlflow_models.scoring_folder(tmp_path)
    assert (first / mlflow_models.SCRIPT).read_text().count("scoring_functions()") == 1
    assert mlflow_models.scoring_folder(tmp_path) == first
