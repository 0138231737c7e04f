"""``ServerProcess``: a real ``basin server`` on loopback ports with its own home folder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ["ServerProcess"]

READY = "basin server ready at "


class ServerProcess:
    def __init__(
        self,
        home: Path,
        *,
        database_url: str | None = None,
        extra_env: dict[str, str] | None = None,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.home = home
        self.database_url = database_url
        self.extra_env = extra_env or {}
        self.extra_args = list(extra_args)
        self.url = ""
        self.process: subprocess.Popen[str] | None = None
        self.output: list[str] = []
        self._ready = threading.Event()

    @property
    def credentials(self) -> dict[str, str]:
        data: dict[str, str] = json.loads((self.home / "credentials.json").read_text())
        return data

    @property
    def token(self) -> str:
        return self.credentials["token"]

    def env(self) -> dict[str, str]:
        """The environment a client of this server runs with."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("BASIN_")}
        env["BASIN_HOME"] = str(self.home)
        return env

    def start(self, timeout: float = 60) -> ServerProcess:
        env = self.env() | self.extra_env
        if self.database_url:
            env["BASIN_DATABASE_URL"] = self.database_url
        args = [
            sys.executable, "-m", "basin", "server",
            "--port", "0", "--blob-port", "0", "--gateway-port", "0", "--proxy-port", "0",
        ]  # fmt: skip
        self._ready.clear()
        self.process = subprocess.Popen(
            [*args, *self.extra_args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._pump, args=(self.process,), daemon=True).start()
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.05):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()  # a server that never said it was ready must not outlive the test
                raise RuntimeError("basin server did not start:\n" + "".join(self.output))
        return self

    def wait_for_output(self, fragment: str, timeout: float = 10) -> bool:
        """Whether a line with ``fragment`` appears within ``timeout`` s.

        The server's output reaches ``output`` through a pipe and a reader thread, so a line
        logged just after an effect the test saw over HTTP can still be on its way.
        """
        deadline = time.monotonic() + timeout
        while not any(fragment in line for line in self.output):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def _pump(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.output.append(line)
            if line.startswith(READY):
                self.url = line[len(READY) :].strip()
                self._ready.set()

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, then wait; SIGKILL only if it does not stop in time."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
