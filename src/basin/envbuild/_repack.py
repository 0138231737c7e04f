"""Wheels made back from installed distributions: how an offline server hands its own packages on.

An installed distribution keeps the files its wheel unpacked (listed in ``RECORD``) and the
wheel's ``WHEEL`` file with its tags, so the wheel can be put together again: the same files
under the same names, a fresh ``RECORD`` with their hashes, and the original tags in the file
name. Files installed outside site-packages (console scripts, headers, data) are left out: what
is repacked here is imported, never run as a command.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import os
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

__all__ = ["dependency_closure", "repack_installed"]

# Written by the installer, not part of the wheel.
_INSTALLER_FILES = frozenset({"INSTALLER", "REQUESTED", "direct_url.json", "RECORD"})


def _installed(name: str, path: list[str]) -> importlib.metadata.Distribution | None:
    for dist in importlib.metadata.distributions(path=path):
        if canonicalize_name(dist.metadata["Name"] or "") == name:
            return dist
    return None


def dependency_closure(
    names: Iterable[str], path: Path | None = None
) -> list[importlib.metadata.Distribution]:
    """The installed distributions ``names`` need.

    Without ``path``: this interpreter's, markers evaluated. With ``path`` (another
    environment's site-packages): what is installed there; a requirement whose distribution is
    absent is taken as one its markers excluded (the installer evaluated them for that Python).
    """
    found: dict[str, importlib.metadata.Distribution] = {}
    pending = [canonicalize_name(n) for n in names]
    while pending:
        name = pending.pop()
        if name in found:
            continue
        if path is None:
            dist = importlib.metadata.distribution(name)
        elif (located := _installed(name, [str(path)])) is not None:
            dist = located
        else:
            continue
        found[name] = dist
        for line in dist.requires or ():
            requirement = Requirement(line)
            marker = requirement.marker
            if marker is None:
                wanted = True
            elif path is None:
                wanted = marker.evaluate({"extra": ""})
            else:  # that Python's markers are not known here; extras are never asked for
                wanted = "extra" not in str(marker)
            if wanted:
                pending.append(canonicalize_name(requirement.name))
    return [found[name] for name in sorted(found)]


def _tags(wheel_text: str) -> str:
    """The compressed tag set of a ``WHEEL`` file (``cp311-cp311-manylinux_2_17_x86_64.…``)."""
    tags = [
        line.split(":", 1)[1].strip() for line in wheel_text.splitlines() if line.startswith("Tag:")
    ]
    if not tags:
        raise ValueError("the WHEEL file names no tag")
    parts = [tag.split("-") for tag in tags]
    return "-".join(".".join(dict.fromkeys(p[i] for p in parts)) for i in range(3))


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def repack_installed(dist: importlib.metadata.Distribution, folder: Path) -> Path | None:
    """Write ``dist`` as a wheel into ``folder``; None if it was not installed from a wheel."""
    wheel_text = dist.read_text("WHEEL")
    if wheel_text is None or dist.files is None:
        return None
    name = canonicalize_name(dist.metadata["Name"]).replace("-", "_")
    filename = f"{name}-{dist.version}-{_tags(wheel_text)}.whl"
    info_dir = None
    members: list[tuple[str, Path]] = []
    for file in dist.files:
        posix = PurePosixPath(str(file))
        if posix.parts[0] == ".." or posix.suffix == ".pyc" or "__pycache__" in posix.parts:
            continue
        if posix.parts[0].endswith(".dist-info"):
            info_dir = posix.parts[0]
            if posix.name in _INSTALLER_FILES and len(posix.parts) == 2:
                continue
        members.append((str(posix), Path(str(dist.locate_file(file)))))
    if info_dir is None:
        return None
    target = folder / filename
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".wheel-")
    os.close(fd)
    records: list[str] = []
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for arcname, path in sorted(members):
            data = path.read_bytes()
            archive.writestr(arcname, data)
            records.append(f"{arcname},{_record_hash(data)},{len(data)}")
        record = f"{info_dir}/RECORD"
        archive.writestr(record, "\n".join([*records, f"{record},,"]) + "\n")
    os.replace(tmp, target)
    return target
