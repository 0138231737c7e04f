"""``load_<entity>(source, params_override=...)``: azure-ai-ml's YAML loaders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from basin.entities import (
    Environment,
    ManagedOnlineDeployment,
    ManagedOnlineEndpoint,
    Model,
    Workspace,
    parse_entity,
    read_yaml,
    set_path,
)
from basin.errors import ValidationError

__all__ = [
    "load_environment",
    "load_model",
    "load_online_deployment",
    "load_online_endpoint",
    "load_workspace",
    "read_conda_file",
    "resolve_local_path",
]


def _load(source: str | Path, params_override: list[dict[str, Any]] | None) -> dict[str, Any]:
    # azure-ai-ml takes params_override=[{"path.to.field": value}, ...]
    data = read_yaml(source)
    for mapping in params_override or []:
        for path, value in mapping.items():
            set_path(data, path, value)
    return data


def load_workspace(
    source: str | Path, *, params_override: list[dict[str, Any]] | None = None
) -> Workspace:
    data = _load(source, params_override)
    return parse_entity(Workspace, data, source=f"workspace file '{source}'")


def resolve_local_path(value: str | None, base: Path) -> str | None:
    """A path from a YAML file, made absolute against the file's folder (URIs kept as they are)."""
    if value is None or "://" in value or value.startswith("azureml:"):
        return value
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else (base / path).resolve())


def load_model(source: str | Path, *, params_override: list[dict[str, Any]] | None = None) -> Model:
    data = _load(source, params_override)
    data["path"] = resolve_local_path(data.get("path"), Path(source).resolve().parent)
    return parse_entity(Model, data, source=f"model file '{source}'")


def read_conda_file(value: str, base: Path) -> dict[str, Any]:
    """A conda file's content, from a path relative to ``base``."""
    path = Path(resolve_local_path(value, base) or value)
    return read_yaml(path)


def load_environment(
    source: str | Path, *, params_override: list[dict[str, Any]] | None = None
) -> Environment:
    """An environment YAML; its ``conda_file`` path (relative to the YAML) is read in."""
    data = _load(source, params_override)
    if data.get("channels") is not None or data.get("dependencies") is not None:
        raise ValidationError(
            f"'{source}' looks like a conda file, not an environment: write an environment YAML "
            "with 'name', 'image' and 'conda_file: <this file>'."
        )
    if isinstance(data.get("conda_file"), str):
        data["conda_file"] = read_conda_file(data["conda_file"], Path(source).resolve().parent)
    return parse_entity(Environment, data, source=f"environment file '{source}'")


def load_online_endpoint(
    source: str | Path, *, params_override: list[dict[str, Any]] | None = None
) -> ManagedOnlineEndpoint:
    data = _load(source, params_override)
    return parse_entity(ManagedOnlineEndpoint, data, source=f"endpoint file '{source}'")


def load_online_deployment(
    source: str | Path, *, params_override: list[dict[str, Any]] | None = None
) -> ManagedOnlineDeployment:
    """A deployment YAML; its relative paths (code, inline model path, inline conda file) are
    resolved against the YAML file's folder, as az ml does."""
    data = _load(source, params_override)
    base = Path(source).resolve().parent
    code = data.get("code_configuration")
    if isinstance(code, dict) and isinstance(code.get("code"), str):
        code["code"] = resolve_local_path(code["code"], base)
    model = data.get("model")
    if isinstance(model, dict) and isinstance(model.get("path"), str):
        model["path"] = resolve_local_path(model["path"], base)
    environment = data.get("environment")
    if isinstance(environment, dict) and isinstance(environment.get("conda_file"), str):
        environment["conda_file"] = read_conda_file(environment["conda_file"], base)
    return parse_entity(ManagedOnlineDeployment, data, source=f"deployment file '{source}'")
