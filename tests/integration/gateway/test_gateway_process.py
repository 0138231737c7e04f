"""``python -m basin.gateway``: the gateway in its own process, fed by a JSON file it watches."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from basin.gateway import DeploymentRoute, RoutingTable

from .conftest import KEY1, KEY2, endpoint


def _write(path: Path, table: RoutingTable) -> None:
    """Replace the file atomically, as the control plane does."""
    temporary = path.with_suffix(".tmp")
    temporary.write_text(table.to_json())
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


def _until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 20
    while not check():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def test_gateway_process_reloads_its_table(tmp_path: Path, fresh) -> None:
    table_file = tmp_path / "routes.json"
    log_file = tmp_path / "requests.jsonl"
    route = endpoint("ep-proc", {"blue": DeploymentRoute((fresh["blue"].address,))})
    _write(table_file, RoutingTable([route]))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "basin.gateway",
            "--table",
            str(table_file),
            "--request-log",
            str(log_file),
            "--reload-interval",
            "0.05",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("basin gateway listening on http://127.0.0.1:"), line
        base = line.split()[-1]
        url = f"{base}/endpoints/ep-proc/score"
        with httpx.Client(timeout=10) as client:

            def status(key: str) -> int:
                return client.post(url, headers={"Authorization": f"Bearer {key}"}).status_code

            assert status(KEY1) == 200
            _write(table_file, RoutingTable([route.evolve(keys=("new-key", KEY2))]))
            _until(lambda: status(KEY1) == 401, "the new keys")
            assert status("new-key") == 200
            table_file.write_text("{not json")  # a bad table is refused; the old one stays
            time.sleep(0.3)
            assert status("new-key") == 200
            assert client.get(f"{base}/health").status_code == 200
        lines = [json.loads(line) for line in log_file.read_text().splitlines()]
        assert {r["status"] for r in lines} >= {200, 401}
        assert all(r["endpoint"] == "ep-proc" for r in lines)
    finally:
        process.terminate()
        _, err = process.communicate(timeout=15)
    # uvicorn shuts down gracefully, then re-raises the SIGTERM it caught
    assert process.returncode in (0, -signal.SIGTERM), err
    assert "not reloaded" in err
    for secret in (KEY1, KEY2, "new-key"):
        assert secret not in err


def test_gateway_process_refuses_a_bad_table(tmp_path: Path) -> None:
    table_file = tmp_path / "routes.json"
    table_file.write_text(json.dumps({"endpoints": {"ep": {"traffic": {"blue": 50}}}}))
    done = subprocess.run(
        [sys.executable, "-m", "basin.gateway", "--table", str(table_file)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "blue" in done.stderr
