"""Fixtures: run ``python -m basin.runtime`` as a real process on a free loopback port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from basin.testing.ports import free_port

STARTUP_LIMIT_S = 180  # generous: scripts import numpy/sklearn on a busy 2-core machine
#: The interpreter runtimes are started with: this one, or (to check the runtime on another
#: Python by hand) a venv's python named by BASIN_TEST_RUNTIME_PYTHON with the runtime's
#: packages installed; its process then finds basin.runtime through PYTHONPATH.
RUNTIME_PYTHON = os.environ.get("BASIN_TEST_RUNTIME_PYTHON") or sys.executable
_SRC = str(Path(__file__).resolve().parents[3] / "src")


def base_env(python: str = RUNTIME_PYTHON, **extra: str) -> dict[str, str]:
    """The environment of a runtime process: this one's, without Azure/basin runtime settings
    (for another interpreter than this one, ``src`` on PYTHONPATH to find basin.runtime)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AZUREML_", "AML_", "BASIN_", "SCORING_"))
    }
    env.pop("PYTHONPATH", None)
    env.update(extra)
    if python != sys.executable:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [env.get("PYTHONPATH"), _SRC]))
    return env


@dataclass
class Runtime:
    """A started runtime process."""

    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=30)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self, containing: str | None = None, wait_s: float = 10.0) -> str:
        """The process output so far; with ``containing``, once that text has appeared (request
        lines are written up to ``RequestLog.FLUSH_DELAY_S`` after the response)."""
        deadline = time.monotonic() + wait_s
        while True:
            text = self.log_path.read_text(errors="replace")
            if containing is None or containing in text or time.monotonic() > deadline:
                return text
            time.sleep(0.02)

    def stop(self) -> int:
        self.client.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def spawn(
    script: Path,
    *args: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    log_path: Path | None = None,
    python: str = RUNTIME_PYTHON,
) -> tuple[subprocess.Popen[bytes], int, Path]:
    port = free_port()
    log_path = log_path or script.parent / f"runtime-{port}.log"
    command = [python, "-m", "basin.runtime", "--entry_script", str(script)]
    command += ["--port", str(port), *args]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            command,
            cwd=cwd or script.parent,
            env=env if env is not None else base_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return proc, port, log_path


def wait_ready(proc: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    """Poll ``GET /`` until it answers 200 (or fail with the process output)."""
    deadline = time.monotonic() + STARTUP_LIMIT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"runtime exited with {proc.returncode}:\n{log_path.read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    proc.kill()
    pytest.fail(f"runtime did not become ready:\n{log_path.read_text()}")


def run_to_exit(script: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Start the runtime and wait for it to exit by itself (start-up failures)."""
    proc, _, log_path = spawn(script, *args, env=env)
    try:
        code = proc.wait(timeout=STARTUP_LIMIT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        pytest.fail(f"runtime kept running:\n{log_path.read_text()}")
    return code, log_path.read_text(errors="replace")


def write_script(folder: Path, source: str, name: str = "score.py") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(source))
    return path


def _server_factory(folder_for: Callable[[], Path]) -> tuple[Callable[..., Runtime], list[Runtime]]:
    started: list[Runtime] = []

    def _serve(
        source: str,
        *args: str,
        env: dict[str, str] | None = None,
        folder: Path | None = None,
    ) -> Runtime:
        script = write_script(folder or folder_for(), source)
        proc, port, log_path = spawn(script, *args, env=env)
        runtime = Runtime(proc, port, log_path)
        started.append(runtime)
        wait_ready(proc, port, log_path)
        return runtime

    return _serve, started


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Runtime]]:
    """``serve(source, *args, env=...)`` writes a scoring script and starts it (one test)."""
    factory, started = _server_factory(lambda: tmp_path / "app")
    yield factory
    for runtime in started:
        runtime.stop()


@pytest.fixture(scope="module")
def serve_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Runtime]]:
    """Like ``serve``, for a runtime shared by the tests of one module."""
    factory, started = _server_factory(lambda: tmp_path_factory.mktemp("app"))
    yield factory
    for runtime in started:
        runtime.stop()
