"""``GatewayProcess``: the gateway in a process of its own, started by the server.

Scoring then never competes with the control plane for a GIL. The server writes the routing
table to a file (mode 0600: it holds endpoint keys) that the gateway reloads when it changes;
the gateway appends one JSON line per request to a log the server forwards to the workspaces'
monitoring sinks. The process dies with the server (``--parent-pid``: Linux's parent-death
signal), so a SIGKILLed server leaves no gateway behind.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from basin.errors import ServiceUnavailableError
from basin.files import replace_file
from basin.gateway.cli import table_tag, tag_file
from basin.gateway.table import RoutingTable

logger = logging.getLogger("basin.gateway")

__all__ = ["GatewayProcess", "write_table"]

_READY = "basin gateway listening on "


def write_table(table: RoutingTable, path: Path) -> str:
    """Replace the table file atomically, readable by its owner only; return its tag."""
    text = table.to_json()
    replace_file(path, text)
    return table_tag(text)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


class GatewayProcess:
    def __init__(
        self,
        table_file: Path,
        request_log: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        env: Mapping[str, str] | None = None,
        verifier_factory: str | None = None,
        workers: int = 1,
        cpus: tuple[int, ...] = (),
    ) -> None:
        self.table_file = table_file
        self.request_log = request_log
        self.url = ""
        argv = [
            sys.executable, "-m", "basin.gateway",
            "--table", str(table_file), "--host", host, "--port", str(port),
            "--request-log", str(request_log), "--parent-pid", str(os.getpid()),
            "--reload-interval", "0.05", "--workers", str(workers),
        ]  # fmt: skip
        self.workers = workers
        if verifier_factory:
            argv += ["--token-verifier-factory", verifier_factory]
        if cpus:
            argv += ["--cpus", ",".join(map(str, cpus))]
        self._argv = argv
        self._env = dict(os.environ if env is None else env)
        self._process: subprocess.Popen[str] | None = None
        self._ready = threading.Event()

    def start(self, timeout: float = 60) -> GatewayProcess:
        if not self.table_file.exists():
            write_table(RoutingTable(), self.table_file)
        self._process = subprocess.Popen(
            self._argv, env=self._env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        threading.Thread(
            target=self._pump, args=(self._process,), daemon=True, name="gateway-output"
        ).start()
        if not self._ready.wait(timeout):
            self.stop()
            raise ServiceUnavailableError("The gateway process did not start.")
        return self

    def _pump(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith(_READY):
                self.url = line[len(_READY) :].strip()
                self._ready.set()
            elif line.strip():
                sys.stderr.write(f"gateway | {line}")
        self._ready.set()

    def publish(self, table: RoutingTable, timeout: float = 2.0) -> None:
        """Write the table and wait until every gateway worker serves it (a changed key must
        stop working before the call that changed it returns)."""
        tag = write_table(table, self.table_file)
        deadline = time.monotonic() + timeout
        files = [tag_file(self.table_file, worker) for worker in range(self.workers)]
        while time.monotonic() < deadline:
            if all(_read(path) == tag for path in files):
                return
            time.sleep(0.005)
        logger.warning("The gateway did not load the new routing table within %.0f s", timeout)

    def stop(self, grace: float = 10) -> None:
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
