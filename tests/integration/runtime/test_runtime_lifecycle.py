"""Start-up order (nothing answers before init() is done), async run(), threads, sibling imports."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from basin.testing.ports import free_port
from tests.integration.runtime.conftest import (
    Runtime,
    base_env,
    spawn,
    wait_ready,
    write_script,
)


def test_liveness_does_not_answer_before_init_finishes(tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    started = tmp_path / "init-started"
    script = write_script(
        tmp_path / "app",
        f"""
        import os, time

        def init():
            open({str(started)!r}, "w").close()
            while not os.path.exists({str(gate)!r}):
                time.sleep(0.05)

        def run(data):
            return "ready"
        """,
    )
    proc, port, log = spawn(script)
    runtime = Runtime(proc, port, log)
    try:
        deadline = time.monotonic() + 60
        while not started.exists():
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "init() never started"
            time.sleep(0.05)
        with pytest.raises(httpx.ConnectError):  # init() is still blocked
            httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
        gate.touch()
        wait_ready(proc, port, log)
        assert runtime.client.post("/score", content="x").json() == "ready"
    finally:
        runtime.stop()


def test_async_run_is_awaited_on_the_loop_and_sync_run_uses_worker_threads(serve) -> None:
    async_runtime = serve(
        """
        import asyncio, threading

        def init():
            pass

        async def run(data):
            await asyncio.sleep(0)
            return {"thread": threading.current_thread().name, "data": data}
        """
    )
    answer = async_runtime.client.post("/score", content="a").json()
    assert answer == {"thread": "MainThread", "data": "a"}

    sync_runtime = serve(
        """
        import threading

        def init():
            pass

        def run(data):
            return threading.current_thread().name
        """,
        "--threads",
        "2",
    )
    assert sync_runtime.client.post("/score", content="a").json().startswith("basin-run-")
    assert "run() executes in a pool of 2 threads" in sync_runtime.output()


def test_async_run_timeout(serve) -> None:
    runtime = serve(
        """
        import asyncio

        def init():
            pass

        async def run(data):
            if data == "slow":
                await asyncio.sleep(3600)
            return data
        """,
        env=base_env(SCORING_TIMEOUT_MS="300"),
    )
    response = runtime.client.post("/score", content="slow")
    assert response.status_code == 500
    assert response.json() == {"message": "Scoring timeout after 300 ms"}
    assert runtime.client.post("/score", content="fast").json() == "fast"


def test_sibling_modules_and_environment(serve, tmp_path: Path) -> None:
    folder = tmp_path / "code"
    folder.mkdir()
    (folder / "helper.py").write_text("VALUE = 'from a sibling module'\n")
    runtime = serve(
        """
        import os
        import helper

        def init():
            pass

        def run(data):
            return {
                "helper": helper.VALUE,
                "entry": os.environ["AZUREML_ENTRY_SCRIPT"],
                "model_dir": os.environ.get("AZUREML_MODEL_DIR"),
            }
        """,
        "--model_dir",
        str(tmp_path),
        folder=folder,
    )
    answer = runtime.client.post("/score", content="x").json()
    assert answer["helper"] == "from a sibling module"
    assert answer["entry"] == str((folder / "score.py").resolve())
    assert answer["model_dir"] == str(tmp_path)


def test_entry_script_from_the_environment(tmp_path: Path) -> None:
    script = write_script(tmp_path / "root" / "src", "def init(): pass\ndef run(d): return 'env'\n")
    port = free_port()
    log = tmp_path / "log.txt"
    env = base_env(AML_APP_ROOT=str(tmp_path / "root"), AZUREML_ENTRY_SCRIPT="src/score.py")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "basin.runtime", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    runtime = Runtime(proc, port, log)
    try:
        wait_ready(proc, port, log)
        assert runtime.client.post("/score", content="x").json() == "env"
        assert str(script) in runtime.output()
    finally:
        code = runtime.stop()
    # SIGTERM is a graceful stop (uvicorn re-raises the signal once it has shut down).
    assert code in (0, -15)
    assert "Application shutdown complete" in runtime.output()
