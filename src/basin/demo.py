"""``make demo``: start a server on the embedded defaults and walk through the main journey.

Everything runs on this machine: SQLite for metadata, a local folder for blobs, local processes
for replicas. The state lives in ``.basin-demo/`` (made fresh each run) and the server is stopped
at the end.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from basin.testing import ServerProcess

HOME = Path(".basin-demo").resolve()


def _basin(server: ServerProcess, *args: str) -> str:
    """Run one real CLI command as a user would, echoing it and its output."""
    print(f"\n$ basin {shlex.join(args)}", flush=True)
    done = subprocess.run(
        [sys.executable, "-m", "basin", *args],
        env=server.env(),
        capture_output=True,
        text=True,
        check=False,
    )
    print(done.stdout.rstrip() or done.stderr.rstrip(), flush=True)
    if done.returncode != 0:
        raise SystemExit(f"demo step failed: basin {shlex.join(args)}")
    return done.stdout


def main() -> int:
    shutil.rmtree(HOME, ignore_errors=True)
    print(f"Starting basin server (state in {HOME}) ...", flush=True)
    with ServerProcess(HOME) as server:
        print(f"basin server is up at {server.url}", flush=True)
        _basin(server, "group", "create", "-n", "demo-rg")
        _basin(
            server,
            "workspace",
            "create",
            "-n",
            "demo-ws",
            "-g",
            "demo-rg",
            "--description",
            "basin demo",
        )
        _basin(server, "workspace", "show", "-n", "demo-ws", "-g", "demo-rg", "-o", "yaml")
        _basin(server, "workspace", "list", "-o", "table")
        print("\nStopping the server ...", flush=True)
    print("Done: the server stopped cleanly.")
    return 0


if __name__ == "__main__":
    os.environ.pop("BASIN_SERVER", None)
    sys.exit(main())
