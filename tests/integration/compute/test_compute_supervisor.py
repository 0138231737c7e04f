"""LocalSupervisor with real replica processes: scaling, probes, restarts, env hooks, logs."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from basin.compute import (
    DeploymentState,
    LocalSupervisor,
    ProbeSettings,
    ReplicaSpec,
    ReplicaState,
)
from basin.errors import ServiceUnavailableError

from .conftest import WAIT_S, alive, get, wait_for

pytestmark = pytest.mark.timeout(180)

KEY = "/ws/onlineEndpoints/ep/deployments/blue"
SpecFactory = Callable[..., ReplicaSpec]


def pids(supervisor: LocalSupervisor, key: str = KEY) -> set[int]:
    return {r.pid for r in supervisor.replicas(key) if r.pid is not None}


def test_scale_up_and_down(supervisor: LocalSupervisor, make_spec: SpecFactory) -> None:
    spec = make_spec()
    supervisor.apply(spec, 1)
    assert len(supervisor.wait_ready(KEY, 1, WAIT_S)) == 1

    supervisor.apply(spec, 3)
    status = supervisor.wait_settled(KEY, WAIT_S)
    assert status is not None and status.state is DeploymentState.SUCCEEDED
    assert len(status.ready_endpoints) == 3
    assert all(get(endpoint).text == "r1" for endpoint in status.ready_endpoints)
    before = pids(supervisor)

    supervisor.apply(spec, 1)
    status = supervisor.wait_settled(KEY, WAIT_S)
    assert status is not None and len(status.replicas) == 1
    stopped = before - pids(supervisor)
    assert len(stopped) == 2
    wait_for(lambda: not any(alive(pid) for pid in stopped), "scaled-down replicas to end")


def test_applying_the_same_state_again_changes_nothing(
    supervisor: LocalSupervisor, make_spec: SpecFactory
) -> None:
    supervisor.apply(make_spec(), 2)
    supervisor.wait_ready(KEY, 2, WAIT_S)
    before = pids(supervisor)
    supervisor.apply(make_spec(), 2)
    status = supervisor.status(KEY)
    assert status is not None and status.state is DeploymentState.SUCCEEDED
    assert pids(supervisor) == before


def test_readiness_gates_traffic(
    supervisor: LocalSupervisor, make_spec: SpecFactory, tmp_path: Path
) -> None:
    flag = tmp_path / "not-ready"
    flag.touch()
    # Liveness is lenient here: this test is about readiness alone.
    patient = ProbeSettings(initial_delay=0, period=0.2, timeout=0.5, failure_threshold=10_000)
    supervisor.apply(make_spec(NOT_READY_FILE=str(flag), liveness=patient), 1)

    wait_for(lambda: "probe: not ready" in supervisor.logs(KEY), "a failed readiness probe")
    (replica,) = supervisor.replicas(KEY)
    assert replica.state is ReplicaState.STARTING and replica.pid is not None
    assert supervisor.ready_endpoints(KEY) == []

    flag.unlink()
    (endpoint,) = supervisor.wait_ready(KEY, 1, WAIT_S)
    assert get(endpoint).status_code == 200

    flag.touch()  # failing readiness again takes it out of the ready set, without a restart
    wait_for(lambda: supervisor.ready_endpoints(KEY) == [], "the replica to leave the ready set")
    (replica_now,) = supervisor.replicas(KEY)
    assert replica_now.state is ReplicaState.UNREADY
    assert replica_now.pid == replica.pid and replica_now.restarts == 0


def test_crashed_replica_restarts_with_growing_back_off(
    supervisor: LocalSupervisor, make_spec: SpecFactory
) -> None:
    supervisor.apply(make_spec(), 1)
    for crashes in (1, 2):
        (endpoint,) = supervisor.wait_ready(KEY, 1, WAIT_S)
        (before,) = supervisor.replicas(KEY)
        with pytest.raises(Exception):  # noqa: B017  (the connection dies with the process)
            get(endpoint, "/crash")

        def restarted(count: int = crashes) -> bool:
            replicas = supervisor.replicas(KEY)
            return bool(replicas) and replicas[0].restarts == count and replicas[0].ready

        wait_for(restarted, f"restart number {crashes}")
        (after,) = supervisor.replicas(KEY)
        assert after.id == before.id and after.pid != before.pid
        assert after.last_exit_code == 4
        assert "crashing on request" in after.last_output
        assert not alive(before.pid or 0)
    log = supervisor.logs(KEY)
    # The back-off is the policy's (0.1 s, then doubled): read from the supervisor's events.
    assert "restarts in 0.1 s" in log and "restarts in 0.2 s" in log
    status = supervisor.status(KEY)
    assert status is not None and status.state is DeploymentState.SUCCEEDED


def test_replica_that_never_starts_fails_with_its_exit_code_and_output(
    supervisor_factory: Callable[..., LocalSupervisor], make_spec: SpecFactory
) -> None:
    gone: list[str] = []
    supervisor = supervisor_factory(on_replica_gone=lambda key, rid: gone.append(rid))
    supervisor.apply(make_spec(CRASH_AT_START="3"), 1)

    status = supervisor.wait_settled(KEY, WAIT_S)
    assert status is not None and status.state is DeploymentState.FAILED
    assert "exited with code 3" in status.message
    assert "init() failed: boom" in status.message
    assert "3 attempts" in status.message
    (replica,) = status.replicas
    assert replica.state is ReplicaState.FAILED and replica.last_exit_code == 3
    assert replica.restarts == 2 and replica.pid is None
    assert gone == [replica.id]
    with pytest.raises(ServiceUnavailableError, match="exited with code 3"):
        supervisor.wait_ready(KEY, 1, WAIT_S)


def test_failing_liveness_kills_and_restarts_the_replica(
    supervisor: LocalSupervisor, make_spec: SpecFactory
) -> None:
    liveness = ProbeSettings(initial_delay=3, period=0.2, timeout=0.5, failure_threshold=3)
    supervisor.apply(make_spec(liveness=liveness), 1)
    (endpoint,) = supervisor.wait_ready(KEY, 1, WAIT_S)
    (before,) = supervisor.replicas(KEY)
    assert get(endpoint, "/hang").text == "hanging"  # every later probe hangs

    def replaced() -> bool:
        replicas = supervisor.replicas(KEY)
        return bool(replicas) and replicas[0].pid != before.pid and replicas[0].ready

    wait_for(replaced, "a new process after failed liveness probes")
    (after,) = supervisor.replicas(KEY)
    assert after.restarts > before.restarts and after.id == before.id
    assert "failed 3 liveness probes; restarting it" in supervisor.logs(KEY)
    wait_for(lambda: not alive(before.pid or 0), "the hung process to end")


def test_replica_killed_from_outside_is_replaced(
    supervisor: LocalSupervisor, make_spec: SpecFactory
) -> None:
    supervisor.apply(make_spec(), 2)
    supervisor.wait_ready(KEY, 2, WAIT_S)
    victim = supervisor.replicas(KEY)[0]
    assert victim.pid is not None
    os.kill(victim.pid, signal.SIGKILL)

    def replaced() -> bool:
        replicas = {r.id: r for r in supervisor.replicas(KEY)}
        again = replicas.get(victim.id)
        return again is not None and again.pid != victim.pid and again.ready

    wait_for(replaced, "the killed replica to come back")
    again = next(r for r in supervisor.replicas(KEY) if r.id == victim.id)
    assert again.last_exit_code == -signal.SIGKILL
    assert len(supervisor.wait_ready(KEY, 2, WAIT_S)) == 2


def test_each_replica_gets_its_own_env_and_is_revoked_when_gone(
    supervisor_factory: Callable[..., LocalSupervisor], make_spec: SpecFactory
) -> None:
    issued: dict[str, str] = {}
    revoked: list[str] = []
    lock = threading.Lock()

    def replica_env(key: str, replica_id: str) -> dict[str, str]:
        with lock:
            issued[replica_id] = f"secret-{len(issued)}-{replica_id}"
            return {"MSI_SECRET": issued[replica_id]}

    supervisor = supervisor_factory(
        replica_env=replica_env, on_replica_gone=lambda key, rid: revoked.append(rid)
    )
    supervisor.apply(make_spec(), 2)
    endpoints = supervisor.wait_ready(KEY, 2, WAIT_S)
    seen = {get(endpoint, "/env?name=MSI_SECRET").text for endpoint in endpoints}
    assert seen == set(issued.values()) and len(seen) == 2

    (first, second) = supervisor.replicas(KEY)
    assert first.pid is not None
    os.kill(first.pid, signal.SIGKILL)  # a restart keeps the replica's secret: no new one
    wait_for(lambda: supervisor.replicas(KEY)[0].restarts == 1, "the restart")
    assert len(issued) == 2 and revoked == []

    supervisor.remove(KEY)
    assert supervisor.wait_settled(KEY, WAIT_S) is None
    assert sorted(revoked) == sorted([first.id, second.id])
    assert supervisor.status(KEY) is None and supervisor.ready_endpoints(KEY) == []


def test_logs_tail_and_follow(supervisor: LocalSupervisor, make_spec: SpecFactory) -> None:
    supervisor.apply(make_spec(), 1)
    (endpoint,) = supervisor.wait_ready(KEY, 1, WAIT_S)
    (replica,) = supervisor.replicas(KEY)
    get(endpoint, "/say?n=20")
    wait_for(lambda: "line 19" in supervisor.logs(KEY), "the output in the log")

    last = supervisor.logs(KEY, lines=3).splitlines()
    assert last == [f"{replica.id} | line {i}" for i in (17, 18, 19)]

    stop = threading.Event()
    followed = supervisor.follow_logs(KEY, lines=1, stop=stop)
    assert next(followed) == f"{replica.id} | line 19"
    get(endpoint, "/say?n=2")
    assert next(followed) == f"{replica.id} | line 0"
    assert next(followed) == f"{replica.id} | line 1"
    stop.set()
    assert list(followed) == []


def test_logs_of_an_unknown_deployment_are_empty(supervisor: LocalSupervisor) -> None:
    assert supervisor.logs("/no/such/deployment") == ""
    assert supervisor.status("/no/such/deployment") is None
    assert supervisor.replicas("/no/such/deployment") == []
