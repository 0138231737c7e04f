"""``ml_client.models``, with azure-ai-ml's method names."""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import Any

from basin.archive import hash_tree, safe_member_path, tar_chunks
from basin.entities import Model, parse_entity
from basin.errors import NotFoundError, ValidationError
from basin.ids import validate_name
from basin.sdk.operations._scope import Scope

__all__ = ["ModelOperations", "upload_local_path"]

WORKSPACE = "/providers/Microsoft.MachineLearningServices/workspaces/{ws}"
MODELS = WORKSPACE + "/models"


def _uri(digest: str, name: str) -> str:
    return f"azureml://datastores/workspaceblobstore/paths/LocalUpload/{digest}/{name}"


def upload_local_path(scope: Scope, path: str | Path) -> str:
    """Upload a local file or folder to the workspace datastore (skipped when already there)."""
    local = Path(path).resolve()
    digest = hash_tree(local)
    uploads = scope.group_path() + WORKSPACE.format(ws=scope.workspace()) + f"/uploads/{digest}"
    params = {"name": local.name, "folder": "true" if local.is_dir() else "false"}
    try:
        scope.transport.request("GET", uploads)
        data = {"path": _uri(digest, local.name)}
    except NotFoundError:
        data = scope.transport.request("PUT", uploads, params=params, content=tar_chunks(local))
    return str(data["path"])


class ModelOperations:
    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    def _base(self, name: str | None = None) -> str:
        base = self._scope.group_path() + MODELS.format(ws=self._scope.workspace())
        return base if name is None else f"{base}/{validate_name('asset', name)}"

    def create_or_update(self, model: Model, **_: Any) -> Model:
        """Register a version; a local ``path`` is uploaded first (the same content only once)."""
        if not model.name:
            raise ValidationError("A model needs a 'name'.")
        base = self._base(model.name)  # checks the name before anything is uploaded
        body = model.model_dump(
            mode="json",
            exclude_none=True,
            exclude={"id", "created_at", "latest_version", "archived"},
        )
        if model.path and not model.path.startswith("azureml://"):
            body["path"] = upload_local_path(self._scope, model.path)
        path = f"{base}/versions/{model.version}" if model.version else f"{base}/versions"
        return parse_entity(Model, self._scope.transport.request("PUT", path, json=body))

    def get(self, name: str, version: str | None = None, label: str | None = None) -> Model:
        which = version or label or "latest"
        data = self._scope.transport.request("GET", f"{self._base(name)}/versions/{which}")
        return parse_entity(Model, data)

    def list(
        self,
        name: str | None = None,
        *,
        archived_only: bool = False,
        include_archived: bool = False,
    ) -> list[Model]:
        path = f"{self._base(name)}/versions" if name else self._base()
        params = {
            "archived_only": str(archived_only).lower(),
            "include_archived": str(include_archived).lower(),
        }
        data = self._scope.transport.request("GET", path, params=params)
        return [parse_entity(Model, item) for item in data["value"]]

    def archive(self, name: str, version: str | None = None, **_: Any) -> None:
        self._scope.transport.request(
            "POST", f"{self._base(name)}/versions/{version or 'all'}/archive"
        )

    def restore(self, name: str, version: str | None = None, **_: Any) -> None:
        self._scope.transport.request(
            "POST", f"{self._base(name)}/versions/{version or 'all'}/restore"
        )

    def download(self, name: str, version: str, download_path: str | Path = ".") -> Path:
        """Write the model's files under ``<download_path>/<name>/`` (as azure-ai-ml does)."""
        target = Path(download_path) / name
        target.mkdir(parents=True, exist_ok=True)
        path = f"{self._base(name)}/versions/{version}/content"
        with (
            self._scope.transport.stream("GET", path) as chunks,
            tarfile.open(fileobj=_Reader(chunks), mode="r|") as tar,
        ):
            for member in tar:
                if not member.isfile():
                    continue
                relative = safe_member_path(member.name)
                destination = target / relative
                destination.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                assert source is not None
                with destination.open("wb") as handle:
                    while chunk := source.read(1 << 20):
                        handle.write(chunk)
        return target


class _Reader:
    """A file-like view of an iterator of byte chunks (for tarfile's stream mode)."""

    def __init__(self, chunks: Any) -> None:
        self._chunks = iter(chunks)
        self._buffer = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data
