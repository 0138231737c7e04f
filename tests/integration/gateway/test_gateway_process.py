"""``python -m basin.gateway``: the gateway in its own process, fed by a JSON file it watches."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from basin import native
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


@pytest.mark.parametrize("compiled", ["1", "0"], ids=["compiled", "python"])
def test_gateway_process_reloads_its_table(tmp_path: Path, fresh, compiled: str) -> None:
    # (both ways: the request path runs compiled where make could build it, else as Python)
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
        env={**os.environ, native.SWITCH: compiled},
    )
    try:
        assert process.stdout is not None
        how = process.stdout.readline()
        if compiled == "0":
            assert how == f"basin gateway request path: Python ({native.SWITCH}=0)\n"
        elif native.can_build():  # make compiles it before the tests
            assert how == "basin gateway request path: compiled\n"
        assert process.stdout.readline() == "basin gateway workers: 1, unpinned\n"
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
    # SIGTERM: a graceful stop (requests under way finish, the log is flushed), then exit 0
    assert process.returncode == 0, err
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


@pytest.mark.parametrize(
    ("cpus", "message"),
    [("1;2", "is not a list of CPU numbers"), ("-1", "0 or more"), ("4096", "CPU 4096")],
)
def test_gateway_process_refuses_cpus_it_cannot_run_on(
    tmp_path: Path, cpus: str, message: str
) -> None:
    table_file = tmp_path / "routes.json"
    _write(table_file, RoutingTable())
    done = subprocess.run(
        [sys.executable, "-m", "basin.gateway", "--table", str(table_file), "--cpus", cpus],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert message in done.stderr


def _allowed_cpus(pid: int) -> str:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Cpus_allowed_list:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no Cpus_allowed_list for {pid}")


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def test_gateway_workers_share_the_port_and_each_serve_the_table(tmp_path: Path, fresh) -> None:
    table_file = tmp_path / "routes.json"
    log_file = tmp_path / "requests.jsonl"
    route = endpoint("ep-workers", {"blue": DeploymentRoute((fresh["blue"].address,))})
    cpus = sorted(os.sched_getaffinity(0))[:2]  # a CPU each, where there are two
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
            "--workers",
            "2",
            "--cpus",
            ",".join(map(str, cpus)),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("basin gateway request path: ")
        pinned = ",".join(map(str, cpus))
        assert process.stdout.readline() == f"basin gateway workers: 2, on CPU {pinned}\n"
        line = process.stdout.readline()
        assert line.startswith("basin gateway listening on http://127.0.0.1:"), line
        base = line.split()[-1]
        children = [
            int(entry)
            for entry in os.listdir("/proc")
            if entry.isdigit() and _parent(int(entry)) == process.pid
        ]
        assert len(children) == 1  # the primary and one forked worker
        (child,) = children
        # Each worker is pinned to its CPU of --cpus, in turn.
        assert _allowed_cpus(process.pid) == str(cpus[0])
        assert _allowed_cpus(child) == str(cpus[1 % len(cpus)])
        before = _cpu_ticks(child)
        headers = {"Authorization": f"Bearer {KEY1}", "Connection": "close"}
        url = f"{base}/endpoints/ep-workers/score"
        with httpx.Client(timeout=10, headers=headers) as client:
            for _ in range(300):  # a new connection each: the kernel spreads them (SO_REUSEPORT)
                assert client.post(url).status_code == 200
            assert _cpu_ticks(child) > before  # the forked worker served some of them
            # A new table reaches every worker: each writes the tag of the table it serves.
            _write(table_file, RoutingTable([route.evolve(keys=("new-key", KEY2))]))
            tag = hashlib.sha256(table_file.read_text().encode()).hexdigest()
            _until(
                lambda: all(_read(tmp_path / f"routes.json.worker-{w}") == tag for w in range(2)),
                "both workers to load the new table",
            )
            for _ in range(40):
                assert client.post(url).status_code == 401  # no worker takes the old key
    finally:
        process.terminate()
        process.wait(30)
    _until(
        lambda: not Path(f"/proc/{child}").exists() or "Z" in _state(child), "the worker to stop"
    )
    lines = log_file.read_text().splitlines()
    assert len(lines) == 340  # both workers appended to one file, no line cut or lost
    assert all(json.loads(line)["endpoint"] == "ep-workers" for line in lines)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _parent(pid: int) -> int | None:
    try:  # processes come and go while /proc is read
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return None


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"
