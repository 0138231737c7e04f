"""Exec a replica's command after asking Linux to SIGTERM it when its supervisor dies.

Run as ``python -I -S _launcher.py <supervisor pid> <limits JSON> -- <command...>`` in the
replica's new session. A tiny launcher rather than a ``preexec_fn``: Python code run between
fork and exec in a threaded server can deadlock. The process keeps its pid (and start time)
through the exec, so the supervisor's pid files stay right. Before the exec it applies the
replica's limits (``{"cpus": [0, 1], "cgroup_procs": "/sys/fs/cgroup/…/cgroup.procs",
"rlimit_data": bytes}``, each optional); a limit that cannot be applied stops the start rather
than run the replica without it. This file imports nothing from basin.
"""

import ctypes
import json
import os
import resource
import signal
import sys

PR_SET_PDEATHSIG = 1
EXIT_CANNOT_RUN = 127


def apply_limits(limits: dict) -> None:  # type: ignore[type-arg]
    procs = limits.get("cgroup_procs")
    if procs:
        with open(procs, "w") as handle:  # joins the cgroup; children follow
            handle.write(str(os.getpid()))
    cpus = limits.get("cpus")
    if cpus:
        os.sched_setaffinity(0, cpus)
    data = limits.get("rlimit_data")
    if data:
        resource.setrlimit(resource.RLIMIT_DATA, (int(data), int(data)))


def main() -> None:
    parent = int(sys.argv[1])
    limits = json.loads(sys.argv[2])
    command = sys.argv[4:]
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        print("basin: prctl(PR_SET_PDEATHSIG) failed", file=sys.stderr)
    if os.getppid() != parent:
        # The supervisor died before the death signal was armed: nobody would stop us.
        sys.exit(EXIT_CANNOT_RUN)
    try:
        apply_limits(limits)
    except (OSError, ValueError) as error:
        print(f"basin: cannot apply the replica's limits: {error}", file=sys.stderr)
        sys.exit(EXIT_CANNOT_RUN)
    try:
        os.execvp(command[0], command)  # PATH from the replica's environment
    except OSError as error:
        print(f"basin: cannot run {command[0]}: {error.strerror}", file=sys.stderr)
        sys.exit(EXIT_CANNOT_RUN)


if __name__ == "__main__":
    main()
