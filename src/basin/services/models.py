"""The model registry: immutable, auto-numbered versions whose files live in the workspace datastore."""

from __future__ import annotations

from collections.abc import Iterator

from basin.blobs import BlobReader
from basin.entities import Model
from basin.errors import NotFoundError, ValidationError
from basin.ids import validate_name
from basin.services import assets, cascade, datastores, workspaces
from basin.services.platform import Platform

__all__ = [
    "create",
    "delete_version",
    "get",
    "list_models",
    "open_files",
    "resolve",
    "set_archived",
]

KIND = "models"
WHAT = "Model"


def _workspace_id(platform: Platform, group: str, workspace_name: str) -> str:
    workspace = workspaces.get(platform, group, workspace_name)
    assert workspace.id is not None
    return workspace.id


def create(platform: Platform, group: str, workspace_name: str, model: Model) -> Model:
    """Register a version; its ``path`` must be a datastore URI of a completed upload."""
    if not model.name:
        raise ValidationError("A model needs a 'name'.")
    validate_name("asset", model.name)
    workspace = workspaces.get(platform, group, workspace_name)
    assert workspace.id is not None
    if not model.path:
        raise ValidationError(
            "A model needs a 'path' (a local file or folder, or a datastore path)."
        )
    if not model.path.startswith("azureml://"):
        raise ValidationError(
            f"Model path '{model.path}' must be uploaded first: the CLI and SDK do that for local "
            "paths; the server takes azureml://datastores/<datastore>/paths/<path>."
        )
    # Make sure the files are there before pointing at them.
    first = next(iter(datastores.read_tree(platform, workspace, model.path)), None)
    if first is not None:
        first[1].close()

    def finish(item: Model, version: str, rid: str) -> Model:
        return item.model_copy(
            update={"version": version, "id": rid, "datastore": datastores.DEFAULT_DATASTORE}
        )

    return assets.register(platform, workspace.id, KIND, model, finish, WHAT)


def get(
    platform: Platform,
    group: str,
    workspace_name: str,
    name: str,
    version: str | None = None,
    label: str | None = None,
) -> Model:
    if version is None and label not in (None, "latest"):
        raise ValidationError(f"Unknown label '{label}': only 'latest' exists.")
    workspace_id = _workspace_id(platform, group, workspace_name)
    return assets.get_version(platform, Model, workspace_id, KIND, name, version, WHAT)


def resolve(platform: Platform, group: str, workspace_name: str, reference: str) -> Model:
    """``azureml:name:version`` or ``azureml:name@latest`` to the model version it names."""
    name, version, label = assets.parse_reference(reference, "model")
    if version is None and label is None:
        raise ValidationError(
            f"Model reference '{reference}' needs a version or @latest (azureml:{name}:1)."
        )
    return get(platform, group, workspace_name, name, version, label)


def list_models(
    platform: Platform,
    group: str,
    workspace_name: str,
    name: str | None = None,
    *,
    archived_only: bool = False,
    include_archived: bool = False,
) -> list[Model]:
    """With a name: its versions; without: the latest version of each model (as ``az ml``)."""
    return assets.list_assets(
        platform,
        Model,
        _workspace_id(platform, group, workspace_name),
        KIND,
        name,
        archived_only=archived_only,
        include_archived=include_archived,
        extra=lambda m: {"latest_version": m.version},
    )


def delete_version(
    platform: Platform, group: str, workspace_name: str, name: str, version: str
) -> None:
    """Delete one version for good (the v1 model-management API's DELETE; azure-ai-ml and az
    archive instead). Its files stay in the datastore, as Azure leaves them; a deployment of it
    keeps running on its own copy."""
    workspace_id = _workspace_id(platform, group, workspace_name)
    rid = assets.asset_id(workspace_id, KIND, name, version)
    stored = platform.store.get(rid)
    if stored is None or stored.type != Model.resource_type:
        raise NotFoundError(f"{WHAT} '{name}' version {version} was not found.")
    cascade.delete(platform, rid)


def set_archived(
    platform: Platform,
    group: str,
    workspace_name: str,
    name: str,
    version: str | None,
    archived: bool,
) -> None:
    workspace_id = _workspace_id(platform, group, workspace_name)
    assets.set_archived(
        platform, Model.resource_type, workspace_id, KIND, name, version, archived, WHAT
    )


def open_files(
    platform: Platform, group: str, workspace_name: str, name: str, version: str
) -> Iterator[tuple[str, BlobReader]]:
    """The model's files as ``(relative path, reader)``, the uploaded file or folder name first."""
    model = get(platform, group, workspace_name, name, version)
    workspace = workspaces.get(platform, group, workspace_name)
    assert model.path is not None
    return datastores.read_tree(platform, workspace, model.path)
