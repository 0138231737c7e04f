"""Rolling updates: the old revision serves until the new one is ready, or keeps serving."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable

import httpx
import pytest

from basin.compute import DeploymentState, LocalSupervisor, ReplicaSpec, ReplicaState

from .conftest import WAIT_S, get

pytestmark = pytest.mark.timeout(180)

KEY = "/ws/onlineEndpoints/ep/deployments/blue"
SpecFactory = Callable[..., ReplicaSpec]


class Caller(threading.Thread):
    """Calls a ready replica, picked afresh each time as a gateway would, until stopped."""

    def __init__(self, supervisor: LocalSupervisor) -> None:
        super().__init__(daemon=True)
        self.supervisor = supervisor
        self.answers: Counter[str] = Counter()
        self.failures: list[str] = []
        self.halt = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=10) as client:
            while not self.halt.is_set():
                endpoints = self.supervisor.ready_endpoints(KEY)
                if not endpoints:
                    self.failures.append("no ready endpoint")
                    continue
                endpoint = random.choice(endpoints)
                try:
                    response = client.get(f"http://{endpoint}/rev")
                    response.raise_for_status()
                    self.answers[response.text] += 1
                except httpx.HTTPError as error:
                    self.failures.append(f"{endpoint}: {error!r}")

    def stop(self) -> None:
        self.halt.set()
        self.join()


def test_rolling_update_drops_no_call(supervisor: LocalSupervisor, make_spec: SpecFactory) -> None:
    supervisor.apply(make_spec(revision="r1"), 2)
    supervisor.wait_ready(KEY, 2, WAIT_S)
    old_pids = {r.pid for r in supervisor.replicas(KEY)}
    caller = Caller(supervisor)
    caller.start()
    try:
        # The new revision takes a while to start, so the old one must serve meanwhile.
        supervisor.apply(make_spec(revision="r2", START_DELAY="0.5"), 2)
        status = supervisor.wait_settled(KEY, WAIT_S)
        assert status is not None and status.state is DeploymentState.SUCCEEDED
        # A few more calls once only r2 is left.
        seen = caller.answers["r2"]
        while caller.answers["r2"] < seen + 5 and caller.is_alive():
            caller.halt.wait(0.01)
    finally:
        caller.stop()
    assert caller.failures == []
    assert caller.answers["r1"] > 0 and caller.answers["r2"] > 0
    assert {r.revision for r in status.replicas} == {"r2"}
    assert not old_pids & {r.pid for r in status.replicas}
    assert all(get(endpoint).text == "r2" for endpoint in status.ready_endpoints)


def test_failing_revision_leaves_the_old_one_serving(
    supervisor: LocalSupervisor, make_spec: SpecFactory
) -> None:
    supervisor.apply(make_spec(revision="r1"), 2)
    old_endpoints = sorted(supervisor.wait_ready(KEY, 2, WAIT_S))
    old_pids = {r.pid for r in supervisor.replicas(KEY)}

    supervisor.apply(make_spec(revision="r2", CRASH_AT_START="3"), 2)
    status = supervisor.wait_settled(KEY, WAIT_S)
    assert status is not None and status.state is DeploymentState.FAILED
    assert status.revision == "r2"
    assert "exited with code 3" in status.message and "init() failed: boom" in status.message
    assert sorted(status.ready_endpoints) == old_endpoints
    assert all(get(endpoint).text == "r1" for endpoint in old_endpoints)
    serving = [r for r in status.replicas if r.revision == "r1"]
    assert {r.pid for r in serving} == old_pids
    assert all(r.state is ReplicaState.READY for r in serving)
    assert any(r.state is ReplicaState.FAILED for r in status.replicas if r.revision == "r2")

    # A fixed revision rolls out over the replicas that kept serving.
    supervisor.apply(make_spec(revision="r3"), 2)
    status = supervisor.wait_settled(KEY, WAIT_S)
    assert status is not None and status.state is DeploymentState.SUCCEEDED
    assert {r.revision for r in status.replicas} == {"r3"}
    assert len(status.ready_endpoints) == 2


def test_listener_hears_the_ready_set_change(
    supervisor: LocalSupervisor, make_spec: SpecFactory
) -> None:
    heard: list[tuple[str, int]] = []
    unsubscribe = supervisor.subscribe(
        lambda key, status: heard.append((key, len(status.ready_endpoints) if status else -1))
    )
    supervisor.apply(make_spec(), 1)
    supervisor.wait_ready(KEY, 1, WAIT_S)
    supervisor.remove(KEY)
    assert supervisor.wait_settled(KEY, WAIT_S) is None
    unsubscribe()
    assert (KEY, 1) in heard
    assert heard[-1] == (KEY, -1)
