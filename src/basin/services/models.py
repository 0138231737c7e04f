"""The model registry: immutable, auto-numbered versions whose files live in the workspace datastore."""

from __future__ import annotations

from collections.abc import Iterator

from basin.blobs import BlobReader
from basin.entities import Model
from basin.errors import ConflictError, NotFoundError, ValidationError
from basin.ids import validate_name
from basin.services import assets, datastores, workspaces
from basin.services._resources import from_stored, to_stored
from basin.services.platform import Platform

__all__ = [
    "create",
    "get",
    "list_models",
    "open_files",
    "resolve",
    "set_archived",
]

KIND = "models"
TYPE = Model.resource_type


def create(platform: Platform, group: str, workspace_name: str, model: Model) -> Model:
    """Register a version; its ``path`` must be a datastore URI of a completed upload."""
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
    for _attempt in range(5):
        with platform.store.transaction() as tx:
            version = model.version or assets.next_version(tx, workspace.id, KIND, model.name)
            rid = assets.asset_id(workspace.id, KIND, model.name, version)
            if tx.get(rid, include_deleted=True) is not None:
                if model.version:
                    raise ConflictError(
                        f"Model '{model.name}' version {version} already exists, and versions "
                        "cannot change: register a new version (leave out the version to get the "
                        "next number)."
                    )
                continue  # someone took this number at the same time: take the next one
            registered = model.model_copy(
                update={"version": version, "id": rid, "datastore": datastores.DEFAULT_DATASTORE}
            )
            stored = tx.insert(to_stored(registered, rid, TYPE))
            return from_stored(Model, stored)
    raise ConflictError(f"Could not number a new version of model '{model.name}'; retry.")


def _versions(platform: Platform, workspace_id: str, name: str) -> list[Model]:
    rows = platform.store.list(type=TYPE, under=assets.asset_id(workspace_id, KIND, name))
    return [from_stored(Model, row) for row in rows]


def _latest(models: list[Model], *, include_archived: bool = False) -> Model | None:
    candidates = [m for m in models if include_archived or not m.archived]
    if not candidates:
        return None
    return max(candidates, key=lambda m: (m.created_at is not None, m.created_at))


def get(
    platform: Platform,
    group: str,
    workspace_name: str,
    name: str,
    version: str | None = None,
    label: str | None = None,
) -> Model:
    workspace = workspaces.get(platform, group, workspace_name)
    assert workspace.id is not None
    if version is None:
        if label not in (None, "latest"):
            raise ValidationError(f"Unknown label '{label}': only 'latest' exists.")
        latest = _latest(_versions(platform, workspace.id, name))
        if latest is None:
            raise NotFoundError(
                f"Model '{name}' has no (unarchived) versions in '{workspace_name}'."
            )
        return latest
    stored = platform.store.get(assets.asset_id(workspace.id, KIND, name, version))
    if stored is None:
        raise NotFoundError(
            f"Model '{name}' version {version} was not found in '{workspace_name}'."
        )
    return from_stored(Model, stored)


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
    workspace = workspaces.get(platform, group, workspace_name)
    assert workspace.id is not None

    def keep(model: Model) -> bool:
        if archived_only:
            return bool(model.archived)
        return include_archived or not model.archived

    if name is not None:
        return [m for m in _versions(platform, workspace.id, name) if keep(m)]
    rows = platform.store.list(type=TYPE, under=workspace.id)
    by_name: dict[str, list[Model]] = {}
    for row in rows:
        model = from_stored(Model, row)
        by_name.setdefault(model.name, []).append(model)
    result = []
    for versions in by_name.values():
        latest = _latest([m for m in versions if keep(m)], include_archived=True)
        if latest is not None:
            result.append(latest.model_copy(update={"latest_version": latest.version}))
    return result


def set_archived(
    platform: Platform,
    group: str,
    workspace_name: str,
    name: str,
    version: str | None,
    archived: bool,
) -> None:
    """Archive (hide from lists and @latest) or restore one version, or every version."""
    workspace = workspaces.get(platform, group, workspace_name)
    assert workspace.id is not None
    prefix = assets.asset_id(workspace.id, KIND, name)
    with platform.store.transaction() as tx:
        rows = [
            r
            for r in tx.list(type=TYPE, under=prefix)
            if version is None or r.body.get("version") == version
        ]
        if not rows:
            raise NotFoundError(
                f"Model '{name}'{f' version {version}' if version else ''} was not found."
            )
        for row in rows:
            row.body["archived"] = archived
            tx.update(row)


def open_files(
    platform: Platform, group: str, workspace_name: str, name: str, version: str
) -> Iterator[tuple[str, BlobReader]]:
    """The model's files as ``(relative path, reader)``, the uploaded file or folder name first."""
    model = get(platform, group, workspace_name, name, version)
    workspace = workspaces.get(platform, group, workspace_name)
    assert model.path is not None
    return datastores.read_tree(platform, workspace, model.path)
