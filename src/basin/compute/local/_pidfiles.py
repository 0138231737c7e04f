"""The supervisor's state folder: a pid file per running replica, and a lock on the folder.

If the supervisor's process is killed, its replicas get SIGTERM from Linux (the launcher arms
``PR_SET_PDEATHSIG``), but a replica may ignore it and its children never get it. The pid files
let the next supervisor on the same folder find what is left and stop it. A pid is only
trusted together with the process start time recorded next to it: pids get reused.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from basin.compute.local._process import group_members, proc_info
from basin.errors import ConflictError
from basin.files import remove_temporaries, replace_file, temporaries

__all__ = ["Leftover", "StateFolder"]

logger = logging.getLogger("basin.compute")

_SUFFIX = ".pid.json"


@dataclass(frozen=True)
class Leftover:
    """A replica process group recorded by a supervisor that is no longer running."""

    replica_id: str
    key: str
    pid: int
    start_ticks: int


class StateFolder:
    """Pid files in ``path``; holds an exclusive lock on it while open."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._lock_fd: int | None = os.open(path / "supervisor.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock_fd)
            self._lock_fd = None
            raise ConflictError(
                f"Another supervisor is running with the state folder {path}."
            ) from None

    def record(self, replica_id: str, key: str, pid: int, start_ticks: int) -> None:
        body = {"replica": replica_id, "key": key, "pid": pid, "start_ticks": start_ticks}
        final = self.path / f"{replica_id}{_SUFFIX}"
        replace_file(final, json.dumps(body))

    def forget(self, replica_id: str) -> None:
        (self.path / f"{replica_id}{_SUFFIX}").unlink(missing_ok=True)

    def leftovers(self) -> list[Leftover]:
        # A supervisor killed between writing a pid file aside and renaming it has started that
        # replica (it is recorded after the start): a whole temporary file counts as recorded.
        found = []
        files = [*self.path.glob(f"*{_SUFFIX}"), *temporaries(self.path)]
        for file in sorted(files):
            try:
                body = json.loads(file.read_text())
                found.append(
                    Leftover(
                        body["replica"], body["key"], int(body["pid"]), int(body["start_ticks"])
                    )
                )
            except (OSError, ValueError, KeyError, TypeError):
                logger.warning("Ignoring an unreadable pid file %s", file.name)
                file.unlink(missing_ok=True)
        return found

    def clean(self, grace: float, sleep: Callable[[float], None] = time.sleep) -> list[Leftover]:
        """Stop what is left of every recorded replica (SIGTERM, grace, SIGKILL); forget them all.

        Returns the leftovers that still had processes.
        """
        stopped = []
        for leftover in self.leftovers():
            if _stop_group(leftover, grace, sleep):
                stopped.append(leftover)
            self.forget(leftover.replica_id)
        remove_temporaries(self.path)
        return stopped

    def close(self) -> None:
        if self._lock_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._lock_fd)  # closing releases the flock
            self._lock_fd = None


def _stop_group(leftover: Leftover, grace: float, sleep: Callable[[float], None]) -> bool:
    leader = proc_info(leftover.pid)
    if leader is not None and leader.start_ticks != leftover.start_ticks:
        return False  # the pid now names another process: not ours to touch
    # The leader is ours (alive or a zombie) or gone. A process group id stays reserved while
    # any member lives, so members of this group can only be what our replica started.
    if not group_members(leftover.pid):
        return False
    logger.info("Stopping replica %s left by a previous supervisor", leftover.replica_id)
    for signum, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(leftover.pid, signum)
        deadline = time.monotonic() + wait
        while group_members(leftover.pid):
            if time.monotonic() >= deadline:
                break
            sleep(0.05)
        else:
            return True
    return True
