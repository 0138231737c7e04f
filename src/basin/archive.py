"""Folders and files as content-hashed tar streams: how code and models travel to the server.

The SDK hashes what it is about to upload (so the server can skip what it already has) and sends
an uncompressed tar; the server recomputes the hash while it stores the members and refuses a
mismatch. The hash covers relative paths and bytes, not times or modes, so the same content
always lands in the same place.
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Protocol

from basin.errors import ValidationError

__all__ = [
    "TreeHasher",
    "hash_tree",
    "iter_files",
    "safe_member_path",
    "tar_chunks",
    "tar_members",
    "tar_path",
]

#: Folders the SDK never uploads (as Azure ML's .amlignore defaults do for these).
IGNORED = frozenset({"__pycache__", ".git", ".ipynb_checkpoints", ".venv"})


def iter_files(root: Path) -> Iterator[tuple[str, Path]]:
    """``(relative posix path, path)`` of every file under ``root`` (or ``root`` itself), sorted."""
    if root.is_file():
        yield root.name, root
        return
    if not root.is_dir():
        raise ValidationError(f"Path '{root}' does not exist (it must be a file or a folder).")
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in IGNORED)
        for name in files:
            path = Path(folder) / name
            found.append((path.relative_to(root).as_posix(), path))
    yield from sorted(found)


class TreeHasher:
    """SHA-256 over what is uploaded: a file or a folder, its name, then (path, size, bytes) of
    each member, in order. The name counts because the upload keeps it (``model/`` and the
    lone file ``model/weights.pkl`` have the same one member but land in different places)."""

    def __init__(self, name: str, is_folder: bool) -> None:
        self._hash = hashlib.sha256()
        self._hash.update(f"{'folder' if is_folder else 'file'}\0{name}\0".encode())

    def member(self, name: str, size: int) -> None:
        self._hash.update(f"{name}\0{size}\0".encode())

    def update(self, chunk: bytes) -> None:
        self._hash.update(chunk)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def hash_tree(root: Path) -> str:
    hasher = TreeHasher(root.name, root.is_dir())
    for name, path in iter_files(root):
        hasher.member(name, path.stat().st_size)
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                hasher.update(chunk)
    return hasher.hexdigest()


class _Pipe(io.RawIOBase):
    """A write-only sink whose bytes ``tar_chunks`` hands out as they are produced."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.chunks.append(bytes(data))
        return len(data)


class _Readable(Protocol):
    def read(self, size: int) -> bytes: ...


def tar_members(members: Iterable[tuple[str, int, _Readable]]) -> Iterator[bytes]:
    """An uncompressed tar of ``(name, size, reader)`` members, streamed in chunks."""
    pipe = _Pipe()
    with tarfile.open(fileobj=pipe, mode="w|", format=tarfile.PAX_FORMAT) as archive:
        for name, size, reader in members:
            info = tarfile.TarInfo(name)
            info.size = size
            info.mode = 0o644
            archive.addfile(info, reader)  # type: ignore[arg-type]
            yield from pipe.chunks
            pipe.chunks.clear()
    yield from pipe.chunks


def tar_chunks(root: Path) -> Iterator[bytes]:
    """An uncompressed tar of ``root``'s files (paths relative to it), streamed in chunks."""

    def members() -> Iterator[tuple[str, int, _Readable]]:
        for name, path in iter_files(root):
            with path.open("rb") as handle:
                yield name, path.stat().st_size, handle

    return tar_members(members())


def tar_path(path: Path) -> Iterator[bytes]:
    """An uncompressed tar of a file or folder as it is on disk, named ``path.name``.

    Unlike ``tar_chunks`` it keeps symlinks, modes and empty folders: a built environment
    (``bin/python`` is a link, scripts are executable) must arrive as it was built.
    """
    pipe = _Pipe()
    with tarfile.open(fileobj=pipe, mode="w|", format=tarfile.PAX_FORMAT) as archive:
        archive.add(path, arcname=path.name, recursive=False)
        if path.is_dir() and not path.is_symlink():
            for folder, dirs, files in os.walk(path):
                dirs.sort()
                for name in [*dirs, *sorted(files)]:
                    member = Path(folder) / name
                    archive.add(
                        member,
                        arcname=f"{path.name}/{member.relative_to(path).as_posix()}",
                        recursive=False,
                    )
                    yield from pipe.chunks
                    pipe.chunks.clear()
    yield from pipe.chunks


def safe_member_path(name: str) -> str:
    """A tar member or blob name made relative and checked: no absolute paths, no ``..``
    segments (what is laid out as files never lands outside its folder)."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or name.startswith("/"):
        raise ValidationError(f"The path '{name}' would escape its folder; refused.")
    return path.as_posix()
