"""One deployment's reconciliation: the replicas it has brought towards the replicas it wants.

Written once for every back end: a replica is anything with the ``Replica`` protocol's
methods (a local process, a Ray actor), and the rollout rules below hold for all of them.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from typing import Protocol

from basin.compute._logs import DeploymentLog
from basin.compute.models import (
    DeploymentState,
    DeploymentStatus,
    ReplicaSpec,
    ReplicaState,
    ReplicaStatus,
)

__all__ = ["Deployment", "Replica", "new_replica_id", "notify_gone", "replica_event"]

logger = logging.getLogger("basin.compute")


def replica_event(log: DeploymentLog, key: str, message: str) -> None:
    """A replica's life event: in the server's log and the deployment's (``supervisor | …``)."""
    logger.info("%s: %s", key, message)
    log.write("supervisor", [message])


def notify_gone(on_gone: Callable[[str, str], None] | None, key: str, replica_id: str) -> None:
    """Tell the owner a replica will never run again (its hook must not break the loop)."""
    if on_gone is not None:
        try:
            on_gone(key, replica_id)
        except Exception:
            logger.exception("on_replica_gone failed for replica %s", replica_id)


class Replica(Protocol):
    """What the rollout needs of one replica (it lives in its back end's loop thread)."""

    spec: ReplicaSpec
    seq: int  # creation order within the back end
    state: ReplicaState
    gone: bool  # stopped or failed for good
    failure: str  # why it FAILED

    @property
    def stopping(self) -> bool: ...

    @property
    def ready(self) -> bool: ...

    def start(self, now: float) -> None: ...

    def step(self, now: float) -> None: ...

    def stop(self, now: float, drain: bool = True) -> None: ...

    def next_event(self) -> float | None: ...

    def status(self) -> ReplicaStatus: ...


ReplicaFactory = Callable[[ReplicaSpec, str], Replica]
_UNSAFE = re.compile(r"[^a-z0-9-]+")


def new_replica_id(key: str) -> str:
    """``<deployment name>-<6 hex>``, like a Kubernetes pod name; unique across restarts."""
    name = _UNSAFE.sub("-", key.rstrip("/").rsplit("/", 1)[-1].lower()).strip("-")[:24]
    return f"{name or 'replica'}-{secrets.token_hex(3)}"


class Deployment:
    """Lives in the supervisor's thread only.

    Rules: the current revision gets exactly ``count`` replicas; older revisions keep as many
    replicas as the current one lacks *ready* ones (so capacity never drops during a rolling
    update); extra replicas stop not-ready first, newest first. When a replica of the current
    revision fails to ever become ready, the rollout fails: nothing new is started and the
    older replicas keep serving, until the next change of the desired state.
    """

    def __init__(self, key: str, log: DeploymentLog) -> None:
        self.key = key
        self.log = log
        self.spec: ReplicaSpec | None = None
        self.count = 0
        self.generation = -1
        self.removing = False
        self.replicas: list[Replica] = []
        self._failure = ""
        self._succeeded = False  # the current generation has reached its desired state
        self._ever_succeeded = False

    def desire(self, spec: ReplicaSpec, count: int, generation: int) -> None:
        if generation == self.generation:
            return
        self.spec, self.count, self.generation = spec, count, generation
        self.removing = False
        self._failure = ""
        self._succeeded = False
        # Replicas that failed belong to an attempt that is over; the new desired state
        # (even the same revision at another count) is a new attempt.
        self.replicas = [r for r in self.replicas if r.state is not ReplicaState.FAILED]
        self.log.write("supervisor", [f"desired: revision {spec.revision}, {count} replicas"])

    def remove(self, generation: int) -> None:
        if not self.removing:
            self.log.write("supervisor", ["deployment removed: stopping its replicas"])
        self.removing = True
        self.generation = generation

    @property
    def finished(self) -> bool:
        return self.removing and not self.replicas

    def reconcile(self, now: float, make_replica: ReplicaFactory) -> None:
        for replica in self.replicas:
            replica.step(now)
        # A failed replica stays (its failure is the rollout's status) only while its revision
        # is the one wanted: one of an older revision that failed after the next change came
        # would otherwise count as "another revision still there" and the rollout never end.
        wanted = self.spec.revision if self.spec is not None else None
        self.replicas = [
            r
            for r in self.replicas
            if not r.gone or (r.state is ReplicaState.FAILED and r.spec.revision == wanted)
        ]
        if self.removing or self.spec is None:
            for replica in self.replicas:
                replica.stop(now)
            self.replicas = [r for r in self.replicas if not r.gone]
            return
        spec = self.spec
        live = [r for r in self.replicas if not r.gone and not r.stopping]
        current = [r for r in live if r.spec.revision == spec.revision]
        older = [r for r in live if r.spec.revision != spec.revision]
        failed = [
            r
            for r in self.replicas
            if r.state is ReplicaState.FAILED and r.spec.revision == spec.revision
        ]
        if failed and not self._failure:
            self._failure = failed[0].failure
            self.log.write("supervisor", [f"rollout of revision {spec.revision} failed"])
        if not self._failure:
            for _ in range(self.count - len(current)):
                replica = make_replica(spec, new_replica_id(self.key))
                self.replicas.append(replica)
                replica.start(now)
            extra = sorted(current, key=lambda r: (r.ready, -r.seq))[
                : max(0, len(current) - self.count)
            ]
            for replica in extra:
                replica.stop(now)
            ready_current = sum(r.ready for r in current if r not in extra)
            keep = max(0, self.count - ready_current)
            by_use = sorted(older, key=lambda r: (not r.ready, -r.seq))
            for replica in by_use[keep:]:
                replica.stop(now)
        self._check_succeeded()

    def _check_succeeded(self) -> None:
        if self._failure or self._succeeded or self.spec is None:
            return
        revision = self.spec.revision
        others = [r for r in self.replicas if r.spec.revision != revision or r.stopping]
        ready = [r for r in self.replicas if r.ready and r.spec.revision == revision]
        if not others and len(ready) == self.count == len(self.replicas):
            self._succeeded = self._ever_succeeded = True
            self.log.write("supervisor", [f"revision {revision} runs {self.count} ready replicas"])

    def next_event(self) -> float | None:
        times = [t for t in (r.next_event() for r in self.replicas) if t is not None]
        return min(times, default=None)

    def stop_all(self, now: float) -> None:
        for replica in self.replicas:
            replica.stop(now, drain=False)

    def status(self) -> DeploymentStatus:
        assert self.spec is not None
        if self.removing:
            state = DeploymentState.DELETING
        elif self._failure:
            state = DeploymentState.FAILED
        elif self._succeeded:
            state = DeploymentState.SUCCEEDED
        elif self._ever_succeeded:
            state = DeploymentState.UPDATING
        else:
            state = DeploymentState.CREATING
        replicas = tuple(r.status() for r in self.replicas)
        ready = tuple(s.endpoint for s in replicas if s.state is ReplicaState.READY and s.endpoint)
        message = self._failure
        if state in (DeploymentState.CREATING, DeploymentState.UPDATING):
            message = next((s.waiting_for for s in replicas if s.waiting_for), "")
        return DeploymentStatus(
            key=self.key,
            revision=self.spec.revision,
            instance_count=self.count,
            state=state,
            message=message,
            replicas=replicas,
            ready_endpoints=ready,
        )
