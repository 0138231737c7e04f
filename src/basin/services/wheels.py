"""Private wheels: uploaded into the workspace (``add_private_pip_wheel``), served by the
workspace's own package index, and fetched with the workspace's rights when a build names them
by their blob URL.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from basin.blobs import BlobNotFoundError
from basin.entities import StorageAccount, Workspace
from basin.envbuild import EnvironmentSpec, canonical_name
from basin.errors import AuthorizationError, NotFoundError, ValidationError
from basin.identity import BLOB_READ, blob_scope
from basin.ids import ResourceId
from basin.services import access, datastores
from basin.services._folders import build_folder
from basin.services.platform import Platform
from basin.store import StoredResource

__all__ = ["WHEEL_TYPE", "list_wheels", "localize", "open_wheel", "register"]

WHEEL_TYPE = "Microsoft.MachineLearningServices/workspaces/wheels"
_WHEEL = re.compile(
    r"^(?P<name>[A-Za-z0-9_.]+)-(?P<version>[A-Za-z0-9_.!+]+)(-\d[^-]*)?-[^-]+-[^-]+-[^-]+\.whl$"
)


def _parse_wheel(filename: str) -> tuple[str, str]:
    match = _WHEEL.match(filename)
    if match is None:
        raise ValidationError(
            f"'{filename}' is not a wheel file name (<name>-<version>-<python>-<abi>-<platform>.whl)."
        )
    return canonical_name(match["name"]), match["version"]


def _blob_url(platform: Platform, workspace: Workspace, uri: str) -> tuple[str, str, str, str]:
    """(url, account, container, blob) of a datastore URI in the workspace's datastore."""
    _, path = datastores.parse_datastore_uri(uri)
    where = datastores.location_of(platform, workspace)
    url = f"{platform.blob_endpoint}/{where.account}/{where.container}/{path}"
    return url, where.account, where.container, path


def register(platform: Platform, workspace: Workspace, filename: str, uri: str) -> dict[str, Any]:
    """Record an uploaded wheel; the answer's ``url`` is what goes into a pip list."""
    project, version = _parse_wheel(filename)
    if not uri.endswith("/" + filename):
        raise ValidationError(f"The upload '{uri}' is not the wheel '{filename}'.")
    url, account, container, blob = _blob_url(platform, workspace, uri)
    assert platform.blobs is not None and workspace.id is not None
    digest = hashlib.sha256()
    try:
        with platform.blobs.open_blob(account, container, blob) as reader:
            for chunk in reader.chunks():
                digest.update(chunk)
    except BlobNotFoundError:
        raise NotFoundError(f"Nothing is stored at '{uri}'; upload the wheel first.") from None
    rid = f"{workspace.id}/wheels/{filename}"
    body = {
        "filename": filename,
        "project": project,
        "version": version,
        "path": uri,
        "url": url,
        "sha256": digest.hexdigest(),
    }
    with platform.store.transaction() as tx:
        existing = tx.get(rid)
        if existing is None:
            tx.insert(
                StoredResource(
                    rid,
                    WHEEL_TYPE,
                    filename,
                    platform.subscription_id,
                    workspace.resource_group,
                    body,
                )
            )
        else:
            existing.body = body
            tx.update(existing)
    return body


def list_wheels(platform: Platform, workspace: Workspace) -> list[dict[str, Any]]:
    assert workspace.id is not None
    return [row.body for row in platform.store.list(type=WHEEL_TYPE, under=workspace.id)]


def open_wheel(platform: Platform, workspace: Workspace, filename: str) -> Any:
    """A reader of one registered wheel's bytes (for the package index)."""
    for wheel in list_wheels(platform, workspace):
        if wheel["filename"] == filename:
            _, account, container, blob = _blob_url(platform, workspace, wheel["path"])
            assert platform.blobs is not None
            return platform.blobs.open_blob(account, container, blob)
    raise NotFoundError(f"No wheel named '{filename}' was uploaded to this workspace.")


def _workspace_may_read(
    platform: Platform, workspace: Workspace, account: str, container: str, blob: str
) -> None:
    """Its own storage account, or any account where its identity holds a blob-reading role."""
    own = ResourceId.parse(workspace.storage_account or "/subscriptions/x").name
    if account == own:
        return
    rows = platform.store.list(type=StorageAccount.resource_type, name=account)
    principal = workspace.identity.principal_id if workspace.identity else None
    if rows and principal:
        scope = blob_scope(rows[0].id, container, blob)
        if access.is_allowed(platform, principal, BLOB_READ, scope, data=True):
            return
    raise AuthorizationError(
        f"Workspace '{workspace.name}' may not read '{account}/{container}/{blob}': give its identity "
        f"({principal}) the Storage Blob Data Reader role on that storage account."
    )


_AZURE_BLOB_HOST = re.compile(r"([a-z0-9]{3,24})\.blob\.core\.windows\.net", re.IGNORECASE)


def _blob_location(url: str) -> tuple[str, str, str]:
    """(account, container, blob) of a URL on basin's blob endpoint (``/account/container/blob``)
    or in Azure's form (``https://{account}.blob.core.windows.net/container/blob``)."""
    parts = urlsplit(url)
    path = unquote(parts.path).lstrip("/")
    host = _AZURE_BLOB_HOST.fullmatch(parts.hostname or "")
    pieces = [host.group(1).lower(), *path.split("/", 1)] if host else path.split("/", 2)
    if len(pieces) < 3 or not all(pieces):
        raise ValidationError(f"'{url}' does not name a blob (account, container and blob).")
    return pieces[0], pieces[1], pieces[2]


def _is_blob_url(platform: Platform, target: str) -> bool:
    parts = urlsplit(target)
    if parts.scheme == "https" and _AZURE_BLOB_HOST.fullmatch(parts.hostname or ""):
        return True
    prefix = platform.blob_endpoint.rstrip("/") + "/" if platform.blob_endpoint else None
    return prefix is not None and target.startswith(prefix)


def _fetch(platform: Platform, workspace: Workspace, url: str, cache: Path) -> str:
    """Copy the blob at ``url`` (basin's blob endpoint, or Azure's form of it, which basin's
    proxy answers) to a local file; return its path."""
    account, container, blob = _blob_location(url)
    _workspace_may_read(platform, workspace, account, container, blob)
    assert platform.blobs is not None
    filename = blob.rsplit("/", 1)[-1]
    try:
        reader = platform.blobs.open_blob(account, container, blob)
    except BlobNotFoundError:
        raise NotFoundError(f"The package file '{url}' does not exist.") from None
    with reader:
        key = hashlib.sha256(
            f"{account}/{container}/{blob}@{reader.properties.etag}".encode()
        ).hexdigest()[:32]
        target = cache / key / filename
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
            with os.fdopen(fd, "wb") as handle:
                for chunk in reader.chunks():
                    handle.write(chunk)
            os.replace(tmp, target)
    return str(target)


_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def _same_host(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    ha, hb = (pa.hostname or "").lower(), (pb.hostname or "").lower()
    if ha != hb and not (ha in _LOOPBACK and hb in _LOOPBACK):
        return False
    default = {"http": 80, "https": 443}
    return (pa.port or default.get(pa.scheme)) == (pb.port or default.get(pb.scheme))


_INDEX_PATH = re.compile(
    r"^/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.machinelearningservices"
    r"/workspaces/[^/]+/pypi/simple$"
)


def _is_own_index(platform: Platform, workspace: Workspace, url: str) -> bool:
    """Whether ``url`` is this workspace's package index on this server (any spelling); raises
    ``ValidationError`` for another workspace's index (the build could not read it)."""
    if not platform.api_endpoint or not _same_host(url, platform.api_endpoint):
        return False
    path = unquote(urlsplit(url).path).rstrip("/").lower()
    if path == f"{workspace.id}/pypi/simple".lower():
        return True
    if _INDEX_PATH.match(path):
        raise ValidationError(
            f"'{_without_userinfo(url)}' is another workspace's package index; an environment "
            f"of workspace '{workspace.name}' can name only its own "
            f"(.../workspaces/{workspace.name}/pypi/simple/): upload the wheel to this workspace."
        )
    return False


def _without_userinfo(url: str) -> str:
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def _index_folder(platform: Platform, workspace: Workspace, cache: Path) -> str:
    """Every wheel uploaded to the workspace, copied into one local folder (named by content)."""
    found = sorted(list_wheels(platform, workspace), key=lambda w: str(w["filename"]))
    digest = hashlib.sha256(
        "\n".join(f"{w['filename']} {w['sha256']}" for w in found).encode()
    ).hexdigest()[:32]

    def fill(staging: Path) -> None:
        for wheel in found:
            local = Path(_fetch(platform, workspace, str(wheel["url"]), cache))
            os.link(local, staging / wheel["filename"])

    return str(build_folder(cache / f"index-{digest}", fill))


def _localize_index(
    platform: Platform, workspace: Workspace, spec: EnvironmentSpec, cache: Path
) -> EnvironmentSpec:
    """The workspace's own index named in the spec becomes a local folder of its wheels.

    A conda file may name ``…/pypi/simple/`` (``package_index_url()``) as an index; the builder
    has no token for it, so the files are read with the workspace's rights, as for a wheel URL.
    """
    index = spec.index
    extras = tuple(u for u in index.extra_index_urls if not _is_own_index(platform, workspace, u))
    primary_own = bool(index.index_url) and _is_own_index(
        platform, workspace, index.index_url or ""
    )
    if not primary_own and len(extras) == len(index.extra_index_urls):
        return spec
    cache.mkdir(parents=True, exist_ok=True)
    folder = _index_folder(platform, workspace, cache)
    index_url, no_index = index.index_url, index.no_index
    if primary_own:
        # "--index-url <own index>" means "not PyPI": the next index takes its place, or none.
        index_url, extras = (extras[0], extras[1:]) if extras else (None, extras)
        no_index = no_index or index_url is None
    return replace(
        spec,
        index=replace(
            index,
            index_url=index_url,
            extra_index_urls=extras,
            find_links=(*index.find_links, folder),
            no_index=no_index,
        ),
    )


def localize(
    platform: Platform, workspace: Workspace, spec: EnvironmentSpec, cache: Path
) -> EnvironmentSpec:
    """Replace requirement lines that point at a blob (on basin's blob endpoint, or at
    ``https://{account}.blob.core.windows.net/...``), and the workspace's own package index, by
    local copies.

    The builder then installs the files itself: no credential ever goes to the installer, and the
    workspace's rights (not the caller's) decide what may be read.
    """
    spec = _localize_index(platform, workspace, spec, cache)
    changed = []
    for line in spec.requirements:
        name, at, url = line.partition(" @ ")
        target = url if at else line
        if _is_blob_url(platform, target):
            local = _fetch(platform, workspace, target.split("#", 1)[0], cache)
            changed.append(f"{name} @ file://{local}" if at else local)
        else:
            changed.append(line)
    return replace(spec, requirements=tuple(changed))
