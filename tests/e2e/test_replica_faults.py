"""Replica faults (#13): a scoring script that raises, hangs, exits or leaks never takes down its
replica for good, the gateway, the server or another deployment.

A real server and real replicas: endpoint ``faulty`` runs a script that misbehaves on request,
endpoint ``steady`` runs a plain echo and is called all along by a background client, which must
get nothing but 200s. The gateway answers with Azure's codes: 424 for a script error (with the
replica's status in ``ms-azureml-model-error-statuscode``), 408 past ``request_timeout_ms``, 502
for a replica that died under the request and 503 while none is ready; the supervisor restarts
a replica that died.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from basin import MLClient
from basin.entities import ManagedOnlineEndpoint, OnlineRequestSettings, Workspace
from basin.testing import ServerProcess
from tests.e2e.test_online_endpoints import _deployment, _pid_of, _score

FAULTS = """
import json, os, time

def init():
    pass

def run(raw_data):
    data = json.loads(raw_data) if raw_data else {}
    mode = data.get("mode")
    if mode == "raise":
        raise ValueError("the scoring script failed on purpose")
    if mode == "hang":
        time.sleep(600)
    if mode == "exit":
        os._exit(3)
    if mode == "leak":
        while True:  # past the instance type's memory limit
            LEAKED.append(bytearray(32 << 20))
    return {"pid": os.getpid()}

LEAKED = []
"""

STEADY = """
def init():
    pass

def run(raw_data):
    return {"steady": True}
"""


#: An operator's own instance type (BASIN_INSTANCE_TYPES_FILE) small enough to leak past.
TINY = "Basin_Tiny_512M"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, build_cache: Path) -> Iterator[ServerProcess]:
    home = tmp_path_factory.mktemp("home")
    types = home.parent / "instance-types.json"
    types.write_text(json.dumps([{"name": TINY, "cpus": 1, "memory_gib": 0.5}]))
    env = {"BASIN_BUILD_CACHE": str(build_cache), "BASIN_INSTANCE_TYPES_FILE": str(types)}
    with ServerProcess(home, extra_env=env) as process:
        yield process


@pytest.fixture(scope="module")
def client(server: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MLClient]:
    with MLClient(
        None, None, "rg-faults", "ws-faults", server=server.url, token=server.token
    ) as made:
        made.resource_groups.create_or_update("rg-faults")
        made.workspaces.begin_create(Workspace(name="ws-faults")).result()
        for name, script in (("faulty", FAULTS), ("steady", STEADY)):
            code = tmp_path_factory.mktemp(name) / "src"
            code.mkdir()
            (code / "score.py").write_text(script)
            made.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name=name)).result()
            settings = OnlineRequestSettings(
                request_timeout_ms=1500, max_concurrent_requests_per_instance=4
            )
            deployment = _deployment("blue", name, code, request_settings=settings)
            deployment.instance_type = TINY if name == "faulty" else "Standard_DS3_v2"
            made.online_deployments.begin_create_or_update(deployment).result()
            made.online_endpoints.begin_update(name, {"traffic": {"blue": 100}}).result()
        yield made


class SteadyLoad:
    """Calls the ``steady`` endpoint until stopped; every answer must be a 200."""

    def __init__(self, client: MLClient) -> None:
        self.uri, self.headers = _score(client, "steady")
        self.codes: Counter[int] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(headers=self.headers, timeout=30) as http:
            while not self._stop.is_set():
                self.codes[http.post(self.uri, json={}).status_code] += 1
                time.sleep(0.01)

    def __enter__(self) -> SteadyLoad:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        # At least one answer first: a fast test body could end before the first call came
        # back, and an empty count would prove nothing (it failed the check in a make test run).
        deadline = time.monotonic() + 30
        while not self.codes and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        self._stop.set()
        self._thread.join(60)


def _wait_for_a_new_replica(client: MLClient, endpoint: str, old_pid: int) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pid = _pid_of(client, endpoint, "blue")
        if pid != old_pid:
            return pid
        time.sleep(0.1)
    raise AssertionError(f"the replica of {endpoint} (pid {old_pid}) was not restarted")


def _until_200(uri: str, headers: dict[str, str], timeout: float = 60) -> list[int]:
    """Call until a 200 comes back; returns every status seen on the way."""
    seen = []
    deadline = time.monotonic() + timeout
    with httpx.Client(headers=headers, timeout=30) as http:
        while time.monotonic() < deadline:
            seen.append(http.post(uri, json={}).status_code)
            if seen[-1] == 200:
                return seen
            time.sleep(0.1)
    raise AssertionError(f"no 200 within {timeout:.0f} s: {Counter(seen)}")


def test_a_raising_script_is_a_424_and_the_replica_serves_on(client: MLClient) -> None:
    uri, headers = _score(client, "faulty")
    pid = _pid_of(client, "faulty", "blue")
    with SteadyLoad(client) as steady, httpx.Client(headers=headers, timeout=30) as http:
        for _ in range(5):
            failed = http.post(uri, json={"mode": "raise"})
            assert failed.status_code == 424, failed.text
            assert failed.headers["ms-azureml-model-error-statuscode"] == "500"
            answered = http.post(uri, json={})
            assert answered.status_code == 200 and answered.json()["pid"] == pid
    assert _pid_of(client, "faulty", "blue") == pid  # not restarted: nothing was wrong with it
    assert set(steady.codes) == {200}, steady.codes


def test_a_hang_past_the_timeout_is_a_408_and_the_replica_serves_on(client: MLClient) -> None:
    uri, headers = _score(client, "faulty")
    pid = _pid_of(client, "faulty", "blue")
    with SteadyLoad(client) as steady, httpx.Client(headers=headers, timeout=30) as http:
        started = time.monotonic()
        hung = http.post(uri, json={"mode": "hang"})
        assert hung.status_code == 408, hung.text
        assert time.monotonic() - started < 20  # the gateway gave up, not the client
        assert hung.json()["error"]["code"]
        seen = _until_200(uri, headers)
        assert set(seen) <= {200, 408, 503}, seen
    assert set(steady.codes) == {200}, steady.codes
    # the replica gave up on run() too (SCORING_TIMEOUT_MS: a second past request_timeout_ms): its
    # event loop stayed free, so liveness held and it was not restarted
    assert _pid_of(client, "faulty", "blue") == pid


def test_a_script_that_exits_the_process_is_a_502_and_the_replica_restarts(
    client: MLClient, server: ServerProcess
) -> None:
    uri, headers = _score(client, "faulty")
    pid = _pid_of(client, "faulty", "blue")
    with SteadyLoad(client) as steady, httpx.Client(headers=headers, timeout=30) as http:
        gone = http.post(uri, json={"mode": "exit"})
        assert gone.status_code == 502, gone.text
        assert gone.json()["error"]["code"]
        assert "127.0.0.1" not in gone.text  # the replica's address is not shown
        new_pid = _wait_for_a_new_replica(client, "faulty", pid)
        seen = _until_200(uri, headers)
        # while the replica was restarting: 502 (its port closed) or 503 (none ready)
        assert set(seen) <= {200, 502, 503}, seen
        assert http.post(uri, json={}).json()["pid"] == new_pid
    assert set(steady.codes) == {200}, steady.codes
    logs = client.online_deployments.get_logs("blue", "faulty")
    assert "exited with code 3" in logs or "exit code 3" in logs, logs[-2000:]
    # the server and its gateway are untouched
    assert server.process is not None and server.process.poll() is None


def test_a_leak_past_the_instance_types_memory_is_a_502_and_the_replica_restarts(
    client: MLClient, server: ServerProcess
) -> None:
    """As an out-of-memory kill in Azure: the replica that hit its instance type's memory limit
    goes (its request fails), a new one takes its place, nothing else notices."""
    uri, headers = _score(client, "faulty")
    pid = _pid_of(client, "faulty", "blue")
    with SteadyLoad(client) as steady, httpx.Client(headers=headers, timeout=60) as http:
        leaked = http.post(uri, json={"mode": "leak"})
        assert leaked.status_code == 502, leaked.text
        new_pid = _wait_for_a_new_replica(client, "faulty", pid)
        seen = _until_200(uri, headers)
        assert set(seen) <= {200, 502, 503}, seen
        assert http.post(uri, json={}).json()["pid"] == new_pid
    assert set(steady.codes) == {200}, steady.codes
    logs = client.online_deployments.get_logs("blue", "faulty")
    assert "out of memory" in logs, logs[-2000:]
    assert server.process is not None and server.process.poll() is None
