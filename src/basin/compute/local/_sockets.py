"""The private folder of replicas' Unix sockets, where the gateway on this machine reaches them.

A request over a Unix socket skips the kernel's TCP stack on both sides: measured on the echo
script at concurrency 1, a proxy hop over one costs about a fifth less than over loopback TCP
(docs/architecture.md, "The hop"). Replicas still listen on their port too: probes, direct
calls and Ray's replicas on other nodes use it.

The folder is ``<state>/sockets`` when that path is short enough for a socket's address
(``sun_path`` holds 107 bytes), else ``<tmp>/basin-<uid>/<hash of the state folder>``. Either
must be a real folder owned by this user and closed to others (mode 0700): the replicas trust
whoever connects, as they trust the loopback port's callers, and no other user may swap the
folder or a socket in it. Where no such folder can be had, replicas are reached over TCP.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import stat
import tempfile
from pathlib import Path

__all__ = ["is_socket", "socket_folder"]

logger = logging.getLogger("basin.compute")

# sun_path's 107 bytes less a replica's file name ("<deployment, 24>-<6 hex>.sock": 36).
_MAX_FOLDER = 107 - 1 - 36


def socket_folder(state_dir: Path) -> Path | None:
    """The folder for replicas' sockets (made if missing), or ``None`` where none is safe."""
    folder = state_dir.absolute() / "sockets"
    try:
        if len(os.fsencode(folder)) > _MAX_FOLDER:
            digest = hashlib.sha256(os.fsencode(folder)).hexdigest()[:16]
            shared = Path(tempfile.gettempdir()) / f"basin-{os.getuid()}"
            _private(shared)
            folder = shared / digest
        else:
            folder.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _private(folder)
        for left in folder.glob("*.sock"):  # by replicas of a supervisor that was killed
            left.unlink(missing_ok=True)
    except OSError as error:
        logger.warning(
            "No private folder for replica sockets (%s): the gateway reaches replicas over TCP",
            error,
        )
        return None
    return folder


def _private(folder: Path) -> None:
    """Make ``folder`` (mode 0700) unless it exists; raise if it is not ours alone."""
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=0o700)
    info = folder.lstat()  # lstat: a symbolic link planted there is refused, not followed
    if not stat.S_ISDIR(info.st_mode):
        raise OSError(f"{folder} is not a folder")
    if info.st_uid != os.getuid():
        raise OSError(f"{folder} belongs to another user")
    if info.st_mode & 0o077:
        raise OSError(f"{folder} is open to other users (mode {info.st_mode & 0o777:o})")


def is_socket(path: str) -> bool:
    try:
        return stat.S_ISSOCK(os.lstat(path).st_mode)
    except OSError:
        return False
