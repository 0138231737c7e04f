"""Whole-file replacement: a reader (or a process killed mid-write) sees the old file or the new.

``replace_file`` writes beside the target under a unique hidden name and renames it into place;
a kill between the two leaves that temporary file, which ``remove_temporaries`` clears when its
folder's owner starts again.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path

__all__ = ["remove_temporaries", "replace_file", "temporaries"]

_SUFFIX = ".tmp"
#: ``replace_file``'s temporary names: ``.<name>.<random>.tmp``.
_TEMPORARY = re.compile(r"^\..+\.[a-z0-9_]+\.tmp$")


def replace_file(
    path: Path, data: bytes | str, *, mode: int = 0o600, durable: bool = False
) -> None:
    """Replace ``path`` with ``data`` atomically, with ``mode`` from the first byte.

    ``durable`` syncs the data to disk before the rename (keys and credentials: a crash must not
    leave an empty file in their place).
    """
    payload = data.encode() if isinstance(data, str) else data
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as handle:
            if mode != 0o600:  # mkstemp makes 0600 files
                os.fchmod(handle.fileno(), mode)
            handle.write(payload)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise


def temporaries(folder: Path) -> list[Path]:
    """The temporary files ``replace_file`` left in ``folder`` (not below it), oldest name first."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return sorted(folder / n for n in names if _TEMPORARY.match(n))


def remove_temporaries(folder: Path) -> int:
    """Remove what ``replace_file`` left in ``folder`` when killed; only safe while nothing else
    writes there. Returns how many were removed."""
    removed = 0
    for path in temporaries(folder):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed += 1
    return removed
