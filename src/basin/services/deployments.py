"""Online deployments: the resource, its references resolved, and its files laid out locally.

Creating or updating a deployment stores it as ``Creating``/``Updating`` and publishes a change;
the serving controller (``services/serving.py``) does the provisioning in the background.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

from basin.archive import safe_member_path
from basin.entities import (
    Environment,
    ManagedOnlineDeployment,
    ManagedOnlineEndpoint,
    Model,
    ModelType,
)
from basin.errors import NotFoundError, ValidationError
from basin.ids import validate_name
from basin.services import (
    cascade,
    codes,
    datastores,
    endpoints,
    environments,
    models,
    workspaces,
)
from basin.services._folders import build_folder
from basin.services._resources import from_stored, to_stored
from basin.services.platform import Platform

__all__ = [
    "CHANGED",
    "create_or_update",
    "delete",
    "deployment_id",
    "get",
    "layout_code",
    "layout_model",
    "list_deployments",
    "set_state",
]

TYPE = ManagedOnlineDeployment.resource_type
#: Published with the deployment id when a deployment is created, updated or deleted.
CHANGED = "deployment-changed"
ANONYMOUS_MODEL = "CliV2AnonymousModel"


def deployment_id(endpoint_id: str, name: str) -> str:
    return f"{endpoint_id}/deployments/{name}"


def _model_reference(
    platform: Platform, group: str, ws: str, model: str | Model | None
) -> str | None:
    if model is None:
        return None
    if isinstance(model, str):
        resolved = models.resolve(platform, group, ws, model)
    else:
        if not model.path or not model.path.startswith("azureml://"):
            raise ValidationError(
                "An inline model's 'path' must be uploaded first (the CLI and SDK do that)."
            )
        # Inline models are registered anonymously, one version per uploaded content.
        version = hashlib.sha256(model.path.encode()).hexdigest()[:16]
        try:
            resolved = models.get(platform, group, ws, ANONYMOUS_MODEL, version)
        except NotFoundError:
            anonymous = model.model_copy(update={"name": ANONYMOUS_MODEL, "version": version})
            resolved = models.create(platform, group, ws, anonymous)
    return f"azureml:{resolved.name}:{resolved.version}"


def _environment_reference(
    platform: Platform, group: str, ws: str, env: str | Environment | None
) -> str | None:
    if env is None:
        return None
    resolved = (
        environments.resolve(platform, group, ws, env)
        if isinstance(env, str)
        else environments.register_anonymous(platform, group, ws, env)
    )
    return f"azureml:{resolved.name}:{resolved.version}"


def create_or_update(
    platform: Platform, group: str, ws: str, endpoint_name: str, deployment: ManagedOnlineDeployment
) -> ManagedOnlineDeployment:
    """Store the deployment with its references resolved; provisioning happens in the background."""
    validate_name("deployment", deployment.name)
    endpoint = endpoints.get(platform, group, ws, endpoint_name)
    assert endpoint.id is not None
    if deployment.endpoint_name not in (None, endpoint_name):
        raise ValidationError(
            f"endpoint_name is '{deployment.endpoint_name}' in the file but '{endpoint_name}' was asked for."
        )
    code = deployment.code_configuration
    model = _model_reference(platform, group, ws, deployment.model)
    if code is None or deployment.environment is None:
        _check_no_code(platform, group, ws, deployment, model)
    if code is not None:
        if is_code_reference(code.code):
            codes.resolve(platform, group, ws, code.code)  # a registered code version
        elif not code.code.startswith("azureml://"):
            raise ValidationError(
                "code_configuration.code must be uploaded first (the CLI and SDK do that), or "
                "name a code version: azureml:<name>:<version>."
            )
        if Path(code.scoring_script).is_absolute() or ".." in Path(code.scoring_script).parts:
            raise ValidationError(
                "code_configuration.scoring_script must be a path inside the code folder."
            )
    resolved = deployment.model_copy(
        update={
            "endpoint_name": endpoint_name,
            "model": model,
            "environment": _environment_reference(platform, group, ws, deployment.environment),
        }
    )
    rid = deployment_id(endpoint.id, deployment.name)
    with platform.store.transaction() as tx:
        existing = tx.get(rid)
        state = "Creating" if existing is None else "Updating"
        stored_entity = resolved.model_copy(
            update={
                "id": rid,
                "provisioning_state": state,
                "provisioning_message": None,
                "created_at": None,
            }
        )
        if existing is None:
            tx.insert(to_stored(stored_entity, rid, TYPE))
        else:
            existing.body = to_stored(stored_entity, rid, TYPE).body
            tx.update(existing)
    platform.events.publish(CHANGED, rid)
    return get(platform, group, ws, endpoint_name, deployment.name)


def _check_no_code(
    platform: Platform,
    group: str,
    ws: str,
    deployment: ManagedOnlineDeployment,
    model: str | None,
) -> None:
    """Without code or an environment, the model must be an MLflow model (served with a
    generated script); a script needs an environment to run in."""
    mlflow = (
        model is not None and models.resolve(platform, group, ws, model).type == ModelType.MLFLOW
    )
    if deployment.code_configuration is None and not mlflow:
        raise ValidationError(
            "A deployment needs 'code_configuration: {code, scoring_script}', unless its model "
            "is an MLflow model (type: mlflow_model), which basin serves without a script."
        )
    if deployment.code_configuration is not None and deployment.environment is None:
        raise ValidationError(
            "A deployment with a scoring script needs an 'environment': a reference "
            "(azureml:<name>:<version>) or an inline image + conda_file. Only an MLflow model "
            "deployed without a script may leave it out (its own environment is used)."
        )


def get(
    platform: Platform, group: str, ws: str, endpoint_name: str, name: str
) -> ManagedOnlineDeployment:
    endpoint = endpoints.get(platform, group, ws, endpoint_name)
    assert endpoint.id is not None
    stored = platform.store.get(deployment_id(endpoint.id, name))
    if stored is None:
        raise NotFoundError(f"Deployment '{name}' was not found on endpoint '{endpoint_name}'.")
    return from_stored(ManagedOnlineDeployment, stored)


def get_by_id(platform: Platform, rid: str) -> ManagedOnlineDeployment | None:
    stored = platform.store.get(rid)
    return None if stored is None else from_stored(ManagedOnlineDeployment, stored)


def list_deployments(
    platform: Platform, group: str, ws: str, endpoint_name: str
) -> list[ManagedOnlineDeployment]:
    endpoint = endpoints.get(platform, group, ws, endpoint_name)
    assert endpoint.id is not None
    return [
        from_stored(ManagedOnlineDeployment, r)
        for r in platform.store.list(type=TYPE, under=endpoint.id)
    ]


def all_deployments(platform: Platform) -> list[ManagedOnlineDeployment]:
    return [from_stored(ManagedOnlineDeployment, r) for r in platform.store.list(type=TYPE)]


def delete(
    platform: Platform, group: str, ws: str, endpoint_name: str, name: str
) -> ManagedOnlineDeployment:
    """Delete the deployment (not while it takes traffic); its replicas stop."""
    endpoint = endpoints.get(platform, group, ws, endpoint_name)
    if endpoint.traffic.get(name):
        raise ValidationError(
            f"Deployment '{name}' takes {endpoint.traffic[name]}% of the traffic: move its traffic "
            f"to other deployments first (basin online-endpoint update -n {endpoint_name} --traffic ...)."
        )
    current = get(platform, group, ws, endpoint_name, name)
    assert current.id is not None
    cascade.delete(platform, current.id)  # its replicas stop (register_cascade)
    if endpoint.mirror_traffic.get(name):
        endpoints.update(platform, group, ws, endpoint_name, {"mirror_traffic": {}})
    if name in endpoint.traffic:  # kept at 0% until now
        rest = {k: v for k, v in endpoint.traffic.items() if k != name}
        endpoints.update(platform, group, ws, endpoint_name, {"traffic": rest})
    return current


def register_cascade(registry: cascade.Cascade) -> None:
    """A deleted deployment's replicas stop: the serving controller hears of it."""
    registry.after_delete(TYPE, lambda platform, row: platform.events.publish(CHANGED, row.id))


def set_step(platform: Platform, rid: str, message: str) -> None:
    """What provisioning is doing now (its ``provisioning_message`` while Creating/Updating),
    so that ``show`` and the CLI's progress can say it."""
    with platform.store.transaction() as tx:
        row = tx.get(rid)
        if row is None or row.body.get("provisioning_state") not in ("Creating", "Updating"):
            return
        row.body["provisioning_message"] = message
        tx.update(row)


def set_state(platform: Platform, rid: str, state: str, message: str | None = None) -> None:
    with platform.store.transaction() as tx:
        row = tx.get(rid)
        if row is None:
            return
        row.body["provisioning_state"] = state
        row.body["provisioning_message"] = message
        tx.update(row)


def _copy_tree(platform: Platform, workspace_name: str, group: str, uri: str, target: Path) -> Path:
    """Lay the files at a datastore URI out under ``target`` (once; atomic rename into place)."""

    def fill(staging: Path) -> None:
        workspace = workspaces.get(platform, group, workspace_name)
        for relative, reader in datastores.read_tree(platform, workspace, uri):
            # Blob names come from users: none may land outside the folder (an older store
            # may hold names the blob rules refuse today).
            try:
                destination = staging / safe_member_path(relative)
            except ValidationError:
                reader.close()
                raise
            destination.parent.mkdir(parents=True, exist_ok=True)
            with reader, destination.open("wb") as handle:
                for chunk in reader.chunks():
                    handle.write(chunk)

    made = build_folder(target, fill)
    assert made is not None
    return made


def layout_model(platform: Platform, group: str, ws: str, reference: str) -> Path:
    """The folder to give as AZUREML_MODEL_DIR: ``…/<name>/<version>/`` holding what was uploaded
    (a folder keeps its name), as Azure ML lays models out."""
    model = models.resolve(platform, group, ws, reference)
    assert model.path is not None and model.version is not None and model.name is not None
    digest = hashlib.sha256(model.path.encode()).hexdigest()[:16]
    root = platform.state_dir / "serving" / "models" / digest
    _copy_tree(platform, ws, group, model.path, root / "files")
    model_dir = root / "dirs" / model.name / model.version
    if not model_dir.exists():
        model_dir.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):  # made at the same time by another caller
            os.symlink(root / "files", model_dir, target_is_directory=True)
    return model_dir


def is_code_reference(code: str) -> bool:
    """``azureml:<name>:<version>`` (a code version), not a datastore path."""
    return code.startswith("azureml:") and not code.startswith("azureml://")


def layout_code(platform: Platform, group: str, ws: str, uri: str) -> Path:
    """The code folder (the uploaded folder's contents); ``uri`` may name a code version."""
    if is_code_reference(uri):
        path = codes.resolve(platform, group, ws, uri).path
        assert path is not None
        uri = path
    digest = hashlib.sha256(uri.encode()).hexdigest()[:16]
    root = _copy_tree(platform, ws, group, uri, platform.state_dir / "serving" / "code" / digest)
    name = uri.rstrip("/").rsplit("/", 1)[-1]
    return root / name if (root / name).is_dir() else root


def endpoint_of(
    platform: Platform, deployment: ManagedOnlineDeployment
) -> ManagedOnlineEndpoint | None:
    if deployment.id is None:
        return None
    stored = platform.store.get(deployment.id.split("/deployments/")[0])
    return None if stored is None else from_stored(ManagedOnlineEndpoint, stored)
