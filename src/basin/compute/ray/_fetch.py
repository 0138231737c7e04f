"""On a Ray node: get the artifacts a replica needs from the server when the node lacks them.

An artifact is a built environment, a code or model folder, the runtime's copy or the CA bundle,
named by its content (``env-<build key>``, …). A node whose disk does not have it at the
server's path downloads it (``GET {api}/basin/artifacts/{name}``, an uncompressed tar with
symlinks and modes kept) and renames it into place at that same path, so the replica's command,
``.pth`` files and symlinks work unchanged. The environment is copied, never resolved again:
every node runs the bytes the server built. Concurrent fetches of one artifact on one node are
serialised by a lock file; a crash leaves a stray ``.fetch-*`` folder, never a half artifact.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import shutil
import ssl
import tarfile
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from basin.compute.models import ARTIFACT_KEY_HEADER, Artifact, ArtifactSource

__all__ = ["fetch_missing"]


def _download(source: ArtifactSource, artifact: Artifact, into: Path) -> None:
    request = urllib.request.Request(
        f"{source.url.rstrip('/')}/basin/artifacts/{artifact.name}",
        headers={ARTIFACT_KEY_HEADER: source.key},
    )
    context = ssl.create_default_context(cadata=source.ca_pem or None)
    with (
        urllib.request.urlopen(request, timeout=300, context=context) as answer,
        tarfile.open(fileobj=answer, mode="r|") as archive,
    ):
        # "tar": no absolute member names, nothing outside ``into``; links kept as made.
        archive.extractall(into, filter="tar")


def _fetch(source: ArtifactSource, artifact: Artifact, locks: Path) -> None:
    target = artifact.path
    locks.mkdir(parents=True, exist_ok=True)
    with open(locks / f"{artifact.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.lexists(target):
            return  # fetched meanwhile by another replica of this node
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = target.with_name(f".fetch-{target.name}-{secrets.token_hex(4)}")
        staging.mkdir()
        try:
            _download(source, artifact, staging)
            members = list(staging.iterdir())
            if len(members) == 1 and members[0].name == target.name:
                os.replace(members[0], target)  # a single file (or folder) sent by its name
            else:
                os.replace(staging, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                shutil.rmtree(staging)


def fetch_missing(
    artifacts: Sequence[Artifact], source: ArtifactSource | None, locks: Path
) -> list[str]:
    """Fetch what this node lacks; returns the names fetched."""
    fetched = []
    for artifact in artifacts:
        if os.path.lexists(artifact.path):
            continue
        if source is None:
            raise FileNotFoundError(
                f"This node lacks {artifact.path} ({artifact.name}) and the server gave no "
                "address to fetch it from."
            )
        _fetch(source, artifact, locks)
        fetched.append(artifact.name)
    return fetched
