"""The workspace's default datastore (``workspaceblobstore``): where uploaded code and models live.

It is a container in the workspace's storage account. Uploads are content-addressed
(``LocalUpload/<sha256>/<name>``) and complete only once their marker blob exists, so a crash in
the middle of an upload leaves nothing that a model or deployment could point at.
"""

from __future__ import annotations

import contextlib
import re
import tarfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO
from urllib.parse import unquote

from basin.archive import TreeHasher, safe_member_path
from basin.blobs import (
    BlobNotFoundError,
    BlobReader,
    BlobStore,
    ContainerAlreadyExistsError,
    sas,
)
from basin.entities import Workspace
from basin.errors import BasinError, NotFoundError, ValidationError
from basin.ids import ResourceId, id_key
from basin.services import storage_accounts
from basin.services.platform import Platform

__all__ = [
    "DEFAULT_DATASTORE",
    "DatastoreLocation",
    "container_sas",
    "locate",
    "location_of",
    "parse_datastore_uri",
    "read_tree",
    "remove_incomplete_uploads",
    "upload_exists",
    "upload_tar",
]

DEFAULT_DATASTORE = "workspaceblobstore"
_URI = re.compile(r"^azureml://datastores/(?P<store>[^/]+)/paths/(?P<path>.+)$")
_BLOB_URL = re.compile(
    r"^https://(?P<account>[^./]+)\.blob\.core\.windows\.net/(?P<container>[^/]+)/(?P<path>[^?#]+)$"
)


@dataclass(frozen=True)
class DatastoreLocation:
    account: str
    container: str


def location_of(platform: Platform, workspace: Workspace) -> DatastoreLocation:
    """The default datastore's account and container, made on first use."""
    if workspace.storage_account is None or workspace.id is None:
        raise ValidationError(f"Workspace '{workspace.name}' has no storage account.")
    account = ResourceId.parse(workspace.storage_account).name
    container = f"azureml-blobstore-{uuid.uuid5(uuid.NAMESPACE_URL, id_key(workspace.id))}"
    store = _blobs(platform)
    with contextlib.suppress(ContainerAlreadyExistsError):
        store.create_container(account, container)
    return DatastoreLocation(account, container)


def _blobs(platform: Platform) -> BlobStore:
    if platform.blobs is None:
        raise ValidationError("This server has no blob store.")
    return platform.blobs


_UPLOADS = "LocalUpload/"


def _marker(upload_hash: str) -> str:
    return f"{_UPLOADS}{upload_hash}.complete"


def upload_exists(platform: Platform, workspace: Workspace, upload_hash: str) -> bool:
    where = location_of(platform, workspace)
    try:
        _blobs(platform).get_blob_properties(where.account, where.container, _marker(upload_hash))
    except BlobNotFoundError:
        return False
    return True


def datastore_uri(path: str) -> str:
    return f"azureml://datastores/{DEFAULT_DATASTORE}/paths/{path}"


def upload_tar(
    platform: Platform,
    workspace: Workspace,
    archive: IO[bytes],
    *,
    name: str,
    is_folder: bool,
    expected_hash: str,
) -> str:
    """Store the members of an uncompressed tar under ``LocalUpload/<hash>/``; return its URI."""
    if not re.fullmatch(r"[0-9a-f]{64}", expected_hash):
        raise ValidationError("The upload hash must be 64 lowercase hex digits (SHA-256).")
    name = safe_member_path(name)
    prefix = f"LocalUpload/{expected_hash}/"
    uri = datastore_uri(prefix + name)
    if upload_exists(platform, workspace, expected_hash):
        return uri
    where = location_of(platform, workspace)
    store = _blobs(platform)
    # What a failed or killed upload wrote stays invisible (no marker) and goes at the next
    # start: removing it here could remove what a concurrent upload of the same content wrote.
    _store_members(store, where, archive, prefix, name, is_folder, expected_hash)
    store.put_blob_bytes(where.account, where.container, _marker(expected_hash), b"")
    return uri


def _store_members(
    store: BlobStore,
    where: DatastoreLocation,
    archive: IO[bytes],
    prefix: str,
    name: str,
    is_folder: bool,
    expected_hash: str,
) -> None:
    hasher = TreeHasher(name, is_folder)
    try:
        with tarfile.open(fileobj=archive, mode="r|") as tar:
            for member in tar:
                if not member.isfile():
                    continue
                relative = safe_member_path(member.name)
                hasher.member(relative, member.size)
                source = tar.extractfile(member)
                assert source is not None
                data = store.new_data()
                while chunk := source.read(1 << 20):
                    hasher.update(chunk)
                    data.write(chunk)
                blob = prefix + (f"{name}/{relative}" if is_folder else name)
                store.put_blob(where.account, where.container, blob, data)
    except tarfile.TarError as exc:
        raise ValidationError(f"The upload is not a valid tar stream: {exc}.") from None
    if hasher.hexdigest() != expected_hash:
        raise ValidationError(
            "The uploaded content does not match its hash (changed during upload?); try again."
        )


def _remove_prefix(store: BlobStore, where: DatastoreLocation, prefix: str) -> int:
    names = [b.name for b in store.iter_blobs(where.account, where.container, prefix=prefix)]
    for name in names:
        with contextlib.suppress(BlobNotFoundError):
            store.delete_blob(where.account, where.container, name)
    return len(names)


def remove_incomplete_uploads(platform: Platform) -> int:
    """At start: uploads a killed server left without their completion marker (an upload is
    one request, so none is in progress then). Returns how many were removed."""
    if platform.blobs is None:
        return 0
    removed = 0
    for row in platform.store.list(type=Workspace.resource_type, include_deleted=True):
        workspace = Workspace.model_validate(row.body)
        if workspace.storage_account is None or workspace.id is None:
            continue
        try:
            where = location_of(platform, workspace)
        except BasinError:
            continue  # its storage account is gone
        store = platform.blobs
        uploads = {
            b.name[len(_UPLOADS) :].split("/", 1)[0]
            for b in store.iter_blobs(where.account, where.container, prefix=_UPLOADS)
        }
        for entry in sorted(uploads):
            if entry.endswith(".complete") or entry + ".complete" in uploads:
                continue
            removed += bool(_remove_prefix(store, where, f"{_UPLOADS}{entry}/"))
    return removed


def parse_datastore_uri(uri: str) -> tuple[str, str]:
    match = _URI.match(uri)
    if match is None:
        raise ValidationError(
            f"'{uri}' is not a datastore path: expected "
            "azureml://datastores/<datastore>/paths/<path>."
        )
    if match["store"] != DEFAULT_DATASTORE:
        raise NotFoundError(
            f"Datastore '{match['store']}' does not exist; this workspace has '{DEFAULT_DATASTORE}'."
        )
    return match["store"], match["path"]


def _storage_account_name(workspace: Workspace) -> str:
    if workspace.storage_account is None:
        raise ValidationError(f"Workspace '{workspace.name}' has no storage account.")
    return ResourceId.parse(workspace.storage_account).name


def locate(platform: Platform, workspace: Workspace, uri: str) -> tuple[DatastoreLocation, str]:
    """Where the files at ``uri`` are: a datastore URI, or a blob URL in the workspace's own
    storage account (``https://{account}.blob.core.windows.net/{container}/{path}``, where
    azure-ai-ml uploads code)."""
    found = _BLOB_URL.match(uri)
    if found is None:
        _, path = parse_datastore_uri(uri)
        return location_of(platform, workspace), path
    account = _storage_account_name(workspace)
    if found["account"] != account:
        raise ValidationError(
            f"'{uri}' is not in the workspace's storage account '{account}': code and models "
            "must be uploaded to the workspace's own storage."
        )
    return DatastoreLocation(account, found["container"]), unquote(found["path"])


def read_tree(
    platform: Platform, workspace: Workspace, uri: str
) -> Iterator[tuple[str, BlobReader]]:
    """``(path relative to the uri's parent, reader)`` for the file or folder at a datastore uri
    (or a blob URL in the workspace's storage account, see ``locate``).

    The name of the uploaded file or folder is kept: ``…/LocalUpload/<h>/model`` yields
    ``model/weights.pkl`` — the layout Azure ML gives ``AZUREML_MODEL_DIR``.
    """
    where, path = locate(platform, workspace, uri)
    store = _blobs(platform)
    parent = path.rsplit("/", 1)[0] + "/" if "/" in path else ""
    marker: str | None = None
    found = False
    while True:
        page = store.list_blobs(where.account, where.container, prefix=path, marker=marker)
        for blob in page.blobs:
            if blob.name != path and not blob.name.startswith(path + "/"):
                continue
            if blob.name.endswith("/"):
                continue  # a folder marker (tools make them): it holds no file
            found = True
            yield (
                blob.name[len(parent) :],
                store.open_blob(where.account, where.container, blob.name),
            )
        if not page.next_marker:
            break
        marker = page.next_marker
    if not found:
        raise NotFoundError(f"Nothing is stored at '{uri}'.")


def container_sas(
    platform: Platform, workspace: Workspace, container: str, *, hours: float, permission: str
) -> str:
    """A service SAS for one container of the workspace's storage account, signed with its first
    key, valid ``hours`` from now (listSecrets and pending uploads hand these out: short-lived,
    one container)."""
    assert workspace.storage_account is not None
    keys = storage_accounts.list_keys(platform, workspace.storage_account)
    expiry = datetime.now(UTC) + timedelta(hours=hours)
    return sas.container_sas(
        _storage_account_name(workspace), container, keys[0]["value"],
        permission=permission, expiry=expiry,
    )  # fmt: skip
