"""Deployment log files: one per deployment, each line prefixed with its replica; bounded size.

The supervisor reads every replica's output through a pipe and writes it here as
``<replica id> | <line>``, with its own events as ``supervisor | <event>``, so one file holds
the deployment's story in order. At ``max_bytes`` the file becomes ``<name>.1`` (replacing the
previous one): a deployment never holds more than about twice ``max_bytes`` on disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = ["DeploymentLog", "follow", "log_path", "tail"]

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def log_path(folder: Path, key: str) -> Path:
    """A file name that is safe for any key and still readable: last id segment + key hash."""
    readable = _UNSAFE.sub("-", key.rstrip("/").rsplit("/", 1)[-1])[:40].strip("-.") or "d"
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return folder / f"{readable}-{digest}.log"


def _older(path: Path) -> Path:
    return path.with_name(path.name + ".1")


class DeploymentLog:
    """The writer of one deployment's log file (used from the supervisor's thread only)."""

    def __init__(self, path: Path, max_bytes: int) -> None:
        self.path = path
        self._max_bytes = max_bytes
        self._file: BinaryIO | None = None

    def write(self, source: str, lines: Iterable[str]) -> None:
        data = "".join(f"{source} | {line}\n" for line in lines).encode("utf-8", "replace")
        if not data:
            return
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "ab")  # noqa: SIM115  (kept open between writes)
        self._file.write(data)
        self._file.flush()
        if self._file.tell() >= self._max_bytes:
            self._file.close()
            self._file = None
            os.replace(self.path, _older(self.path))

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def delete(self) -> None:
        self.close()
        for path in (self.path, _older(self.path)):
            path.unlink(missing_ok=True)


def _last_lines(path: Path, count: int, end: int | None = None) -> list[str]:
    if count <= 0:
        return []
    try:
        handle = open(path, "rb")  # noqa: SIM115
    except FileNotFoundError:
        return []
    with handle:
        size = handle.seek(0, os.SEEK_END)
        position = size if end is None else min(end, size)
        data = b""
        # Read blocks from the end until the block holds more line ends than lines wanted.
        while position > 0 and data.count(b"\n") <= count:
            step = min(65536, position)
            position -= step
            handle.seek(position)
            data = handle.read(step) + data
    lines = data.decode("utf-8", "replace").splitlines()
    if position > 0:
        lines = lines[1:]  # the first line read may have been cut
    return lines[-count:]


def tail(path: Path, lines: int, end: int | None = None) -> str:
    """The last ``lines`` lines of a deployment log (spilling into the rotated file).

    ``end``: only what the current file held up to that offset.
    """
    recent = _last_lines(path, lines, end)
    older = _last_lines(_older(path), lines - len(recent))
    found = older + recent
    return "".join(line + "\n" for line in found)


def follow(path: Path, lines: int, stop: threading.Event, poll: float = 0.2) -> Iterator[str]:
    """The last ``lines`` lines, then each line written later, until ``stop`` is set."""
    handle: BinaryIO | None = None
    end = 0
    with contextlib.suppress(FileNotFoundError):
        handle = open(path, "rb")  # noqa: SIM115
        end = handle.seek(0, os.SEEK_END)
    # The tail ends where following starts, so no line is lost or shown twice.
    yield from tail(path, lines, end).splitlines()
    pending = b""
    try:
        while not stop.is_set():
            if handle is None:
                try:
                    handle = open(path, "rb")  # noqa: SIM115  (a new file after rotation)
                except FileNotFoundError:
                    stop.wait(poll)
                    continue
            chunk = handle.read()
            if chunk:
                *complete, pending = (pending + chunk).split(b"\n")
                for line in complete:
                    yield line.decode("utf-8", "replace")
                continue
            if _replaced(handle, path):
                handle.close()
                handle = None
                continue
            stop.wait(poll)
    finally:
        if handle is not None:
            handle.close()


def _replaced(handle: BinaryIO, path: Path) -> bool:
    try:
        return os.fstat(handle.fileno()).st_ino != os.stat(path).st_ino
    except FileNotFoundError:
        return True
