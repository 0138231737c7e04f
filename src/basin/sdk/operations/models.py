"""``ml_client.models``, with azure-ai-ml's method names."""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import IO, Any, cast

from basin.archive import hash_tree, safe_member_path, tar_chunks
from basin.entities import Model, parse_entity
from basin.errors import NotFoundError, ValidationError
from basin.sdk.operations._assets import WORKSPACE, VersionedAssetOperations
from basin.sdk.operations._scope import Scope

__all__ = ["ModelOperations", "upload_local_path"]


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


class ModelOperations(VersionedAssetOperations[Model]):
    kind = "models"
    entity = Model

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

    def download(self, name: str, version: str, download_path: str | Path = ".") -> Path:
        """Write the model's files under ``<download_path>/<name>/`` (as azure-ai-ml does)."""
        target = Path(download_path) / name
        target.mkdir(parents=True, exist_ok=True)
        path = f"{self._base(name)}/versions/{version}/content"
        with (
            self._scope.transport.stream("GET", path) as chunks,
            tarfile.open(fileobj=cast(IO[bytes], _Reader(chunks)), mode="r|") as tar,
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
