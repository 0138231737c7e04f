"""``load_<entity>(source, params_override=...)``: azure-ai-ml's YAML loaders.

Besides the entity's own validation, each loader makes the checks azure-ai-ml's YAML schemas make
when a file is loaded (``tests/integration/test_yaml_parity.py`` compares them with the real
azure-ai-ml): a file azure-ai-ml refuses is refused here too, naming the field and the rule.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from basin.entities import (
    Environment,
    ManagedOnlineDeployment,
    ManagedOnlineEndpoint,
    Model,
    Workspace,
    WorkspaceConnection,
    apply_params,
    parse_entity,
    read_yaml,
)
from basin.errors import ValidationError
from basin.ids import ResourceId, validate_name

__all__ = [
    "load_connection",
    "load_environment",
    "load_model",
    "load_online_deployment",
    "load_online_endpoint",
    "load_workspace",
    "load_workspace_connection",
    "parse_workspace",
    "read_conda_file",
    "resolve_local_path",
]


def _load(source: str | Path, params_override: list[dict[str, Any]] | None) -> dict[str, Any]:
    # azure-ai-ml takes params_override=[{"path.to.field": value}, ...]
    return apply_params(read_yaml(source), params_override or [])


def _refuse(what: str, problems: list[str]) -> None:
    if problems:
        raise ValidationError(f"Invalid {what}: " + "; ".join(problems) + ".")


_GUID = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")


def _is_resource_id(value: str) -> bool:
    """``/subscriptions/<guid>/resourceGroups/<group>/providers/<Namespace>/<type>/<name>``, the
    shape azure-ai-ml's workspace schema requires of dependent-resource ids."""
    try:
        rid = ResourceId.parse(value)
    except ValidationError:
        return False
    return bool(
        value.startswith("/")
        and _GUID.fullmatch(rid.subscription_id)
        and rid.resource_group
        and rid.provider
        and rid.names
    )


def load_workspace(
    source: str | Path, *, params_override: list[dict[str, Any]] | None = None
) -> Workspace:
    return parse_workspace(_load(source, params_override), f"workspace file '{source}'")


def parse_workspace(data: dict[str, Any], what: str = "workspace") -> Workspace:
    """A workspace from YAML-shaped ``data``, with the checks azure-ai-ml's schema makes."""
    workspace = parse_entity(Workspace, data, source=what)
    problems = []
    for field in ("storage_account", "container_registry", "key_vault", "application_insights"):
        value = getattr(workspace, field)
        if value is not None and not _is_resource_id(value):
            problems.append(
                f"'{field}' must be a resource id (/subscriptions/<subscription id>/resourceGroups/"
                f"<group>/providers/<Namespace>/<type>/<name>), not '{value}'"
            )
    key = workspace.customer_managed_key
    if key is not None:
        uri = urlparse(key.key_uri)
        if uri.scheme not in ("http", "https") or not uri.netloc:
            problems.append(
                "'customer_managed_key.key_uri' must be the key's URL "
                f"(https://<vault>.vault.azure.net/keys/<key>/<version>), not '{key.key_uri}'"
            )
    _refuse(what, problems)
    return workspace


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


def _inline_environment(data: dict[str, Any], base: Path, what: str, prefix: str = "") -> None:
    """Read an environment's conda file in and resolve its build context, as azure-ai-ml does."""
    if isinstance(data.get("conda_file"), str):
        try:
            data["conda_file"] = read_conda_file(data["conda_file"], base)
        except ValidationError as exc:
            raise ValidationError(f"Invalid {what}: '{prefix}conda_file': {exc}") from None
    build = data.get("build")
    if isinstance(build, dict) and isinstance(build.get("path"), str):
        build["path"] = resolve_local_path(build["path"], base)


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
    what = f"environment file '{source}'"
    _inline_environment(data, Path(source).resolve().parent, what)
    return parse_entity(Environment, data, source=what)


def load_online_endpoint(
    source: str | Path, *, params_override: list[dict[str, Any]] | None = None
) -> ManagedOnlineEndpoint:
    data = _load(source, params_override)
    what = f"endpoint file '{source}'"
    endpoint = parse_entity(ManagedOnlineEndpoint, data, source=what)
    problems = []
    try:
        validate_name("endpoint", endpoint.name)
    except ValidationError as exc:
        problems.append(f"'name': {str(exc).rstrip('.')}")
    total = sum(endpoint.traffic.values())
    if total > 100:
        problems.append(
            f"'traffic' adds up to {total}%: it must be at most 100 (e.g. blue: 90, green: 10)"
        )
    _refuse(what, problems)
    return endpoint


def _asset_reference(kind: str, value: object) -> str | None:
    if not isinstance(value, str) or value.startswith("azureml:"):
        return None
    return (
        f"'{kind}': '{value}' is not a {kind} reference: write azureml:<name>:<version> or "
        f"azureml:<name>@latest (or an inline {kind})"
    )


def load_online_deployment(
    source: str | Path, *, params_override: list[dict[str, Any]] | None = None
) -> ManagedOnlineDeployment:
    """A deployment YAML; its relative paths (code, inline model path, inline conda file) are
    resolved against the YAML file's folder, as az ml does."""
    data = _load(source, params_override)
    what = f"deployment file '{source}'"
    base = Path(source).resolve().parent
    code = data.get("code_configuration")
    if isinstance(code, dict) and isinstance(code.get("code"), str):
        code["code"] = resolve_local_path(code["code"], base)
    model = data.get("model")
    if isinstance(model, dict) and isinstance(model.get("path"), str):
        model["path"] = resolve_local_path(model["path"], base)
    environment = data.get("environment")
    if isinstance(environment, dict):
        _inline_environment(environment, base, what, prefix="environment.")
    deployment = parse_entity(ManagedOnlineDeployment, data, source=what)
    problems = [
        problem
        for problem in (
            _asset_reference("model", deployment.model),
            _asset_reference("environment", deployment.environment),
        )
        if problem
    ]
    if deployment.instance_type is None:
        # azure-ai-ml's managed deployment schema requires it; basin records it (replicas are
        # local processes whatever the size).
        problems.append("'instance_type' is required (e.g. Standard_DS3_v2)")
    _refuse(what, problems)
    return deployment


def load_workspace_connection(
    source: str | Path, *, params_override: list[dict[str, Any]] | None = None
) -> WorkspaceConnection:
    """A connection YAML (``az ml connection create -f``); e.g. a private feed with a PAT."""
    data = _load(source, params_override)
    return parse_entity(WorkspaceConnection, data, source=f"connection file '{source}'")


#: azure-ai-ml's newer name for the same loader.
load_connection = load_workspace_connection
