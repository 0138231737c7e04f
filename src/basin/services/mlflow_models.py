"""MLflow models deployed without a scoring script or environment ("no-code deployment").

The model's ``MLmodel`` names its environment (``python_function.env``: a conda file, or a
``python_env.yaml`` with a ``requirements.txt``); that environment, plus inference-schema (which
basin's MLflow scoring script uses for the swagger document, as Azure ML's does), is registered
as the deployment's environment and built like any other. The scoring script is generated: it
calls ``basin.runtime.mlflow_model.scoring_functions`` (the runtime is in every environment).
"""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import Any

import yaml

from basin.entities import Environment
from basin.errors import DeploymentFailedError
from basin.services._folders import build_folder

__all__ = ["SCRIPT", "environment_for", "model_folder", "scoring_folder"]

#: The generated scoring script.
SCRIPT = "score.py"
_SOURCE = '''"""Scoring script basin generated for an MLflow model deployed without one."""

from basin.runtime.mlflow_model import scoring_functions

init, run = scoring_functions()
'''
#: What the generated script needs besides the model's own packages.
SCRIPT_REQUIREMENTS = ("inference-schema>=1.5",)
_MLMODEL = "MLmodel"


def model_folder(model_dir: Path) -> str:
    """The folder under ``AZUREML_MODEL_DIR`` that holds ``MLmodel`` ('' for the root): what
    Azure ML names ``MLFLOW_MODEL_FOLDER``."""
    if (model_dir / _MLMODEL).is_file():
        return ""
    found = sorted(p.parent.name for p in model_dir.glob(f"*/{_MLMODEL}") if p.is_file())
    if len(found) != 1:
        raise DeploymentFailedError(
            "The model is registered as an MLflow model (type: mlflow_model) but "
            + (
                "has no MLmodel file at its root or in a folder at its root"
                if not found
                else f"has several MLmodel files ({', '.join(found)})"
            )
            + ". Register the folder mlflow.save_model or log_model wrote, or deploy the model "
            "with a scoring script and an environment."
        )
    return found[0]


def _read_yaml(path: Path, what: str) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise DeploymentFailedError(f"The MLflow model's {what} could not be read: {exc}") from None


def _environment_files(model_path: Path) -> dict[str, str]:
    mlmodel = _read_yaml(model_path / _MLMODEL, "MLmodel file")
    flavors = mlmodel.get("flavors") if isinstance(mlmodel, dict) else None
    pyfunc = flavors.get("python_function") if isinstance(flavors, dict) else None
    if not isinstance(pyfunc, dict):
        raise DeploymentFailedError(
            "The MLflow model has no python_function flavor, so it cannot be served without a "
            "scoring script: deploy it with code_configuration and an environment."
        )
    env = pyfunc.get("env")
    if isinstance(env, str):
        return {"conda": env}
    return {k: str(v) for k, v in env.items()} if isinstance(env, dict) else {}


def _conda_from_python_env(model_path: Path, name: str) -> dict[str, Any]:
    """A conda mapping equivalent to ``python_env.yaml`` + its requirements file."""
    python_env = _read_yaml(model_path / name, name) or {}
    pip: list[str] = []
    for line in python_env.get("dependencies") or []:
        text = str(line).strip()
        if text.startswith("-r "):
            listed = (model_path / text[3:].strip()).read_text(encoding="utf-8").splitlines()
            pip += [item.strip() for item in listed if item.strip() and not item.startswith("#")]
        elif text:
            pip.append(text)
    python = str(python_env.get("python") or "")
    return {"dependencies": ([f"python={python}"] if python else []) + [{"pip": pip}]}


def environment_for(model_path: Path) -> tuple[Environment, list[str]]:
    """The environment an MLflow model names, with what the generated script needs."""
    files = _environment_files(model_path)
    notes = []
    if files.get("conda") and (model_path / files["conda"]).is_file():
        conda = _read_yaml(model_path / files["conda"], files["conda"])
        notes.append(f"environment from the model's {files['conda']}")
    elif files.get("virtualenv") and (model_path / files["virtualenv"]).is_file():
        conda = _conda_from_python_env(model_path, files["virtualenv"])
        notes.append(f"environment from the model's {files['virtualenv']}")
    elif (model_path / "requirements.txt").is_file():
        conda = _conda_from_python_env_text(model_path)
        notes.append("environment from the model's requirements.txt")
    else:
        raise DeploymentFailedError(
            "The MLflow model names no environment (conda.yaml, python_env.yaml or "
            "requirements.txt next to MLmodel): log it with mlflow, which writes them, or deploy "
            "it with an environment and a scoring script."
        )
    if not isinstance(conda, dict):
        raise DeploymentFailedError("The MLflow model's conda file is not a mapping.")
    return _with_script_requirements(conda), notes


def _conda_from_python_env_text(model_path: Path) -> dict[str, Any]:
    lines = (model_path / "requirements.txt").read_text(encoding="utf-8").splitlines()
    pip = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    return {"dependencies": [{"pip": pip}]}


def _with_script_requirements(conda: dict[str, Any]) -> Environment:
    conda = copy.deepcopy(conda)
    dependencies = conda.setdefault("dependencies", [])
    pip = next((d for d in dependencies if isinstance(d, dict) and "pip" in d), None)
    if pip is None:
        pip = {"pip": []}
        dependencies.append(pip)
    listed = {str(line).split("=")[0].split(">")[0].split("<")[0].strip() for line in pip["pip"]}
    pip["pip"] = [*pip["pip"], *(r for r in SCRIPT_REQUIREMENTS if r.split(">")[0] not in listed)]
    return Environment(image="basin:minimal", conda_file=conda)


def scoring_folder(home: Path) -> Path:
    """The folder holding the generated scoring script (made once per content)."""
    digest = hashlib.sha256(_SOURCE.encode()).hexdigest()[:16]

    def fill(staging: Path) -> None:
        (staging / SCRIPT).write_text(_SOURCE, encoding="utf-8")

    made = build_folder(home / "serving" / "mlflow-scripts" / digest, fill)
    assert made is not None
    return made
