"""The rollout rules of ``compute._rollout.Deployment``, over replicas that do what they are told."""

from __future__ import annotations

from pathlib import Path

from basin.compute._logs import DeploymentLog
from basin.compute._rollout import Deployment
from basin.compute.models import DeploymentState, ReplicaSpec, ReplicaState, ReplicaStatus

KEY = "/ws/onlineEndpoints/ep/deployments/blue"


class FakeReplica:
    """A replica whose life the test drives: ``become(state)`` is what its process did."""

    def __init__(self, spec: ReplicaSpec, replica_id: str, seq: int) -> None:
        self.spec, self.id, self.seq = spec, replica_id, seq
        self.state = ReplicaState.STARTING
        self.gone = False
        self.failure = ""
        self._stopping = False

    @property
    def stopping(self) -> bool:
        return self._stopping

    @property
    def ready(self) -> bool:
        return self.state is ReplicaState.READY

    def become(self, state: ReplicaState) -> None:
        self.state = state
        if state is ReplicaState.FAILED:
            self.gone, self.failure = True, f"replica {self.id} never became ready"

    def start(self, now: float) -> None:
        pass

    def step(self, now: float) -> None:
        if self._stopping:  # stops at once
            self.state, self.gone = ReplicaState.STOPPING, True

    def stop(self, now: float, drain: bool = True) -> None:
        if not self.gone:
            self._stopping = True

    def next_event(self) -> float | None:
        return None

    def status(self) -> ReplicaStatus:
        return ReplicaStatus(self.id, self.spec.revision, self.state, None, None, 0, None, "")


def _spec(revision: str) -> ReplicaSpec:
    return ReplicaSpec(KEY, revision, ["true"], {}, Path("."))


def test_an_old_revisions_replica_failing_after_the_next_change_does_not_stall_it(
    tmp_path: Path,
) -> None:
    """r2 fails (one replica), r3 is desired while r2's other replica is still trying, and that
    replica fails in the next step: r3 must still succeed (it stayed Updating for ever: the
    failed replica of r2 was kept and counted as one of another revision)."""
    made: list[FakeReplica] = []

    def make(spec: ReplicaSpec, replica_id: str) -> FakeReplica:
        made.append(FakeReplica(spec, replica_id, len(made)))
        return made[-1]

    log = DeploymentLog(tmp_path / "log", 1 << 20)
    deployment = Deployment(KEY, log)
    deployment.desire(_spec("r1"), 2, 1)
    deployment.reconcile(0, make)
    for replica in made:
        replica.become(ReplicaState.READY)
    deployment.reconcile(1, make)
    assert deployment.status().state is DeploymentState.SUCCEEDED

    deployment.desire(_spec("r2"), 2, 2)
    deployment.reconcile(2, make)
    first_r2, second_r2 = made[2:4]
    first_r2.become(ReplicaState.FAILED)
    deployment.reconcile(3, make)
    assert deployment.status().state is DeploymentState.FAILED

    deployment.desire(_spec("r3"), 2, 3)
    second_r2.become(ReplicaState.FAILED)  # its last attempt ends as r3 arrives
    deployment.reconcile(4, make)
    for replica in made[4:]:
        replica.become(ReplicaState.READY)
    for now in (5, 6, 7):
        deployment.reconcile(now, make)
    status = deployment.status()
    log.delete()
    assert status.state is DeploymentState.SUCCEEDED, status
    assert {r.revision for r in status.replicas} == {"r3"}
