"""Exec a replica's command after asking Linux to SIGTERM it when its supervisor dies.

Run as ``python -I -S _launcher.py <supervisor pid> -- <command...>`` in the replica's new
session. A tiny launcher rather than a ``preexec_fn``: Python code run between fork and exec in
a threaded server can deadlock. The process keeps its pid (and start time) through the exec,
so the supervisor's pid files stay right. This file imports nothing from basin.
"""

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1
EXIT_CANNOT_RUN = 127


def main() -> None:
    parent = int(sys.argv[1])
    command = sys.argv[3:]
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        print("basin: prctl(PR_SET_PDEATHSIG) failed", file=sys.stderr)
    if os.getppid() != parent:
        # The supervisor died before the death signal was armed: nobody would stop us.
        sys.exit(EXIT_CANNOT_RUN)
    try:
        os.execvp(command[0], command)  # PATH from the replica's environment
    except OSError as error:
        print(f"basin: cannot run {command[0]}: {error.strerror}", file=sys.stderr)
        sys.exit(EXIT_CANNOT_RUN)


if __name__ == "__main__":
    main()
