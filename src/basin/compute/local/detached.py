"""A process that outlives the command that started it: the replica of a local endpoint.

``basin online-deployment create --local`` returns once its replica answers, and the replica
keeps serving until ``delete --local``, as the container of az's local endpoints does. It runs
in a session of its own (so Ctrl-C in the terminal that started it does not stop it), its
output appended to a log file, its pid recorded by the caller.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["alive", "start_detached", "stop"]


def start_detached(argv: Sequence[str], env: Mapping[str, str], cwd: Path, log: Path) -> int:
    """Start ``argv`` detached, its stdout and stderr appended to ``log``; return its pid."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        process = subprocess.Popen(
            list(argv),
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return process.pid


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie child of this process counts as gone)."""
    with contextlib.suppress(ChildProcessError, OSError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop(pid: int, grace: float = 5.0) -> None:
    """SIGTERM its process group, then SIGKILL what is left after ``grace`` seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if not alive(pid):
                return
            time.sleep(0.05)
