"""Code assets: scoring folders registered once and referenced by deployments.

azure-ai-ml uploads a deployment's code folder itself: it asks for a pending upload
(``startPendingUpload``), gets a short-lived SAS for a fresh container in the workspace's storage
account, uploads the folder there with azure-storage-blob, and registers a code version whose
``codeUri`` is the folder's blob URL. A version whose properties carry the folder's
``hash_sha256`` is found again by that hash, so the same folder is uploaded once. Deployments
refer to a version as ``azureml:<name>:<version>``.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass

from basin.blobs import ContainerAlreadyExistsError
from basin.entities import Code
from basin.errors import ConflictError, NotFoundError, ServiceUnavailableError, ValidationError
from basin.ids import ResourceId, validate_name
from basin.services import assets, datastores, workspaces
from basin.services.platform import Platform

__all__ = [
    "PENDING_UPLOAD_HOURS",
    "PendingUpload",
    "create",
    "get",
    "list_codes",
    "resolve",
    "start_pending_upload",
]

KIND = "codes"
WHAT = "Code"
#: How long a pending upload's SAS stays valid.
PENDING_UPLOAD_HOURS = 1.0
HASH_PROPERTY = "hash_sha256"


@dataclass(frozen=True)
class PendingUpload:
    """Where to upload a code folder: a container URL, the same with a SAS, the account's id."""

    blob_uri: str
    sas_uri: str
    storage_account_id: str


def _workspace_id(platform: Platform, group: str, workspace_name: str) -> str:
    workspace = workspaces.get(platform, group, workspace_name)
    assert workspace.id is not None
    return workspace.id


def start_pending_upload(platform: Platform, group: str, workspace_name: str) -> PendingUpload:
    """A fresh container in the workspace's storage account and a SAS to write it (azure-ai-ml
    uploads the folder at the container's root)."""
    workspace = workspaces.get(platform, group, workspace_name)
    if platform.blobs is None or workspace.storage_account is None:
        raise ServiceUnavailableError("This server has no blob store.")
    account = ResourceId.parse(workspace.storage_account).name
    container = f"code-{uuid.uuid4()}"
    with contextlib.suppress(ContainerAlreadyExistsError):
        platform.blobs.create_container(account, container)
    sas = datastores.container_sas(
        platform, workspace, container, hours=PENDING_UPLOAD_HOURS, permission="racwl"
    )
    blob_uri = f"https://{account}.blob.core.windows.net/{container}"
    return PendingUpload(blob_uri, f"{blob_uri}?{sas}", workspace.storage_account)


def create(platform: Platform, group: str, workspace_name: str, code: Code) -> Code:
    """Register a version whose files are at ``code.path``; the same version with the same
    path again returns it (a retried PUT), with another path is a conflict."""
    if not code.name or not code.version:
        raise ValidationError("A code version needs a name and a version.")
    validate_name("asset", code.name)
    if not code.path:
        raise ValidationError("A code version needs 'codeUri' (where its files were uploaded).")
    workspace = workspaces.get(platform, group, workspace_name)
    assert workspace.id is not None
    first = next(iter(datastores.read_tree(platform, workspace, code.path)), None)
    if first is not None:
        first[1].close()
    try:
        existing = get(platform, group, workspace_name, code.name, code.version)
    except NotFoundError:
        existing = None
    if existing is not None:
        if existing.path == code.path:
            return existing
        raise ConflictError(
            f"Code '{code.name}' version {code.version} already exists with other files; "
            "versions cannot change: register a new version."
        )

    def finish(item: Code, version: str, rid: str) -> Code:
        return item.model_copy(update={"version": version, "id": rid})

    return assets.register(platform, workspace.id, KIND, code, finish, WHAT)


def get(
    platform: Platform, group: str, workspace_name: str, name: str, version: str | None = None
) -> Code:
    workspace_id = _workspace_id(platform, group, workspace_name)
    return assets.get_version(platform, Code, workspace_id, KIND, name, version, WHAT)


def list_codes(
    platform: Platform,
    group: str,
    workspace_name: str,
    name: str | None = None,
    *,
    content_hash: str | None = None,
) -> list[Code]:
    """With a name: its versions (those whose content hash is ``content_hash``, if given);
    without: the latest version of each."""
    found = assets.list_assets(
        platform, Code, _workspace_id(platform, group, workspace_name), KIND, name
    )
    if content_hash is not None:
        found = [c for c in found if c.properties.get(HASH_PROPERTY) == content_hash]
    return found


def resolve(platform: Platform, group: str, workspace_name: str, reference: str) -> Code:
    """``azureml:name:version`` (or ``@latest``) to the code version it names."""
    name, version, label = assets.parse_reference(reference, "code")
    if version is None and label is None:
        raise ValidationError(f"Code reference '{reference}' needs a version (azureml:{name}:1).")
    return get(platform, group, workspace_name, name, version)
