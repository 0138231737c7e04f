"""Processes: start one in its own session through the launcher, signal its group, read /proc."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ProcInfo",
    "alive",
    "close_quietly",
    "exited",
    "free_port",
    "group_members",
    "listening_socket",
    "proc_info",
    "signal_group",
    "spawn",
]

_LAUNCHER = Path(__file__).with_name("_launcher.py")


def spawn(
    command: Sequence[str],
    env: Mapping[str, str],
    cwd: Path,
    output_fd: int,
    limits: Mapping[str, object] | None = None,
    pass_fds: Sequence[int] = (),
) -> subprocess.Popen[bytes]:
    """Start ``command`` as the leader of a new session, stdout and stderr into ``output_fd``.

    ``limits`` (CPU affinity, cgroup, rlimit) are applied by the launcher before the exec;
    ``pass_fds`` stay open in the command (the others are closed).

    Raises ``OSError`` when the launcher itself cannot start (e.g. ``cwd`` is missing); a
    command that cannot be found makes the process exit with code 127 instead.
    """
    argv = [
        sys.executable, "-I", "-S", str(_LAUNCHER), str(os.getpid()),
        json.dumps(dict(limits or {})), "--", *command,
    ]  # fmt: skip
    return subprocess.Popen(
        argv,
        env=dict(env),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=output_fd,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: one signal reaches all it started
        close_fds=True,
        pass_fds=tuple(pass_fds),
    )


def exited(pid: int) -> bool:
    """True when our child ``pid`` has ended, without reaping it.

    Not reaping keeps the pid (and so the process group id) reserved until the group has been
    cleaned, so a recycled pid can never receive our signals.
    """
    try:
        result = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return result is not None


def signal_group(pgid: int, signum: int) -> bool:
    """Send ``signum`` to a process group; False when no process of it is left."""
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        return False
    return True


@dataclass(frozen=True)
class ProcInfo:
    pid: int
    state: str  # one letter: R, S, D, Z (zombie), ...
    pgid: int
    start_ticks: int  # start time after boot in clock ticks: with the pid, names one process


def proc_info(pid: int) -> ProcInfo | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name (field 2) may contain spaces and parentheses: split after its last ')'.
    fields = raw[raw.rindex(b")") + 2 :].split()
    return ProcInfo(pid, fields[0].decode(), int(fields[2]), int(fields[19]))


def alive(pid: int) -> bool:
    """True when ``pid`` runs (a zombie has ended and counts as gone)."""
    info = proc_info(pid)
    return info is not None and info.state not in ("Z", "X")


def group_members(pgid: int) -> list[ProcInfo]:
    """The live processes of a process group."""
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            info = proc_info(int(entry))
            if info and info.pgid == pgid and info.state not in ("Z", "X"):
                members.append(info)
    return members


def _bound_socket(exclude: Collection[int], host: str) -> socket.socket:
    """A TCP socket bound to a free port at ``host``, not one of ``exclude``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(100):
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.bind((host, 0))
        except BaseException:
            sock.close()
            raise
        if int(sock.getsockname()[1]) not in exclude:
            return sock
        sock.close()
    raise OSError(f"no free port at {host}")


def listening_socket(exclude: Collection[int] = (), host: str = "127.0.0.1") -> socket.socket:
    """A TCP socket listening on a free port at ``host``, for a replica to inherit: the port is
    held from its choice on, so no other program can take it before the replica serves."""
    sock = _bound_socket(exclude, host)
    try:
        sock.listen(2048)
    except BaseException:
        sock.close()
        raise
    return sock


def free_port(exclude: Collection[int] = (), host: str = "127.0.0.1") -> int:
    """A port nobody listens on now at ``host`` (a replica that loses a race is just restarted;
    one that takes ``listening_socket`` has no race)."""
    with _bound_socket(exclude, host) as sock:
        return int(sock.getsockname()[1])


def close_quietly(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)
