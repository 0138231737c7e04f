"""``Reconciler``: a back end whose own thread brings replicas to the desired state.

Public methods only exchange values with that thread under a lock: ``apply``/``remove`` write
the desired state and wake it, and it publishes immutable ``DeploymentStatus`` snapshots that
``status`` and the waits read. Each back end says how replicas are made (``_new_replica``),
how its loop waits for the next event (``_pause``/``_wake``) and how it stops them all
(``_shutdown``); the rest, the rollout rules included (``_rollout.Deployment``), is here once.
"""

from __future__ import annotations

import abc
import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from basin.compute._logs import DeploymentLog, follow, log_path, tail
from basin.compute._rollout import Deployment, Replica
from basin.compute.backend import ComputeBackend, StatusListener
from basin.compute.models import DeploymentState, DeploymentStatus, ReplicaSpec
from basin.errors import ServiceUnavailableError, ValidationError

__all__ = ["Reconciler"]

logger = logging.getLogger("basin.compute")

_IDLE_WAIT = 0.5  # longest sleep between two looks at the replicas


@dataclass(frozen=True)
class _Desired:
    spec: ReplicaSpec | None  # None: remove
    count: int
    generation: int


@dataclass(frozen=True)
class _Published:
    generation: int
    status: DeploymentStatus


class Reconciler(ComputeBackend):
    def __init__(
        self,
        log_dir: Path,
        *,
        log_max_bytes: int,
        clock: Callable[[], float],
        thread_name: str,
    ) -> None:
        self._log_dir = log_dir
        self._log_max_bytes = log_max_bytes
        self._clock = clock
        self._seq = itertools.count()
        self._lock = threading.Condition()
        self._desired: dict[str, _Desired] = {}
        self._published: dict[str, _Published] = {}
        self._listeners: list[StatusListener] = []
        self._generations = itertools.count()
        self._closing = False
        self._closed = threading.Event()
        self._deployments: dict[str, Deployment] = {}  # the loop thread's own
        self._thread = threading.Thread(target=self._run, name=thread_name, daemon=True)

    # ------------------------------------------------------------------ for the back ends
    @abc.abstractmethod
    def _new_replica(
        self, spec: ReplicaSpec, replica_id: str, seq: int, log: DeploymentLog
    ) -> Replica:
        """A replica of ``spec`` (not started yet)."""

    @abc.abstractmethod
    def _pause(self, started: float, timeout: float) -> None:
        """Wait up to ``timeout`` for the next event (the loop's step began at ``started``)."""

    @abc.abstractmethod
    def _wake(self) -> None:
        """Interrupt ``_pause`` (from any thread)."""

    @abc.abstractmethod
    def _shutdown(self) -> None:
        """On the loop's thread, at close: stop every replica, quickly."""

    def _release(self) -> None:
        """On the loop's thread, last: release what the back end holds."""

    def _start_loop(self) -> None:
        self._thread.start()

    # ------------------------------------------------------------------ desired state
    def apply(self, spec: ReplicaSpec, instance_count: int, *, again: bool = False) -> None:
        spec.validate()
        if instance_count < 0:
            raise ValidationError("instance_count must be 0 or more.")
        with self._lock:
            self._check_open()
            wanted = self._desired.get(spec.key)
            if wanted and wanted.spec == spec and wanted.count == instance_count and not again:
                return
            self._desired[spec.key] = _Desired(spec, instance_count, next(self._generations))
            self._wake()
            self._lock.notify_all()

    def remove(self, key: str) -> None:
        with self._lock:
            self._check_open()
            wanted = self._desired.get(key)
            if wanted is None or wanted.spec is None:
                return
            self._desired[key] = _Desired(None, 0, next(self._generations))
            self._wake()
            self._lock.notify_all()

    def _check_open(self) -> None:
        if self._closing:
            raise ServiceUnavailableError("The compute back end is closed.")

    # ------------------------------------------------------------------ observing
    def status(self, key: str) -> DeploymentStatus | None:
        with self._lock:
            return self._view(key)

    def deployments(self) -> list[DeploymentStatus]:
        with self._lock:
            views = (self._view(key) for key in sorted(self._desired))
            return [view for view in views if view is not None]

    def _view(self, key: str) -> DeploymentStatus | None:
        """The published status, corrected at once for a desired state the loop has not seen."""
        wanted = self._desired.get(key)
        published = self._published.get(key)
        if wanted is None:
            return None
        if published is not None and published.generation == wanted.generation:
            return published.status
        if wanted.spec is None:
            if published is None:
                return None
            return replace(published.status, state=DeploymentState.DELETING, message="")
        state = DeploymentState.CREATING if published is None else DeploymentState.UPDATING
        if published is None:
            return DeploymentStatus(
                wanted.spec.key, wanted.spec.revision, wanted.count, state, "", (), ()
            )
        return replace(
            published.status,
            revision=wanted.spec.revision,
            instance_count=wanted.count,
            state=state,
            message="",
        )

    def wait(
        self,
        key: str,
        until: Callable[[DeploymentStatus | None], bool],
        timeout: float,
    ) -> DeploymentStatus | None:
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                status = self._view(key)
                if until(status):
                    return status
                if self._closing:
                    raise ServiceUnavailableError("The compute back end is closed.")
                left = deadline - time.monotonic()
                if left <= 0:
                    state = status.state if status else "absent"
                    raise TimeoutError(f"Deployment {key} is still {state} after {timeout:g} s.")
                self._lock.wait(left)

    def subscribe(self, listener: StatusListener) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def logs(self, key: str, lines: int = 5000) -> str:
        return tail(log_path(self._log_dir, key), lines)

    def follow_logs(
        self, key: str, lines: int = 10, stop: threading.Event | None = None
    ) -> Iterator[str]:
        return follow(log_path(self._log_dir, key), lines, stop or self._closed)

    # ------------------------------------------------------------------ closing
    def close(self) -> None:
        if threading.current_thread() is self._thread:
            raise RuntimeError("close() cannot be called from the back end's own thread.")
        with self._lock:
            self._closing = True
            if self._thread.is_alive():
                self._wake()
            self._lock.notify_all()
        if self._thread.ident is not None:
            self._thread.join()

    # ------------------------------------------------------------------ the loop
    def _run(self) -> None:
        try:
            while True:
                with self._lock:
                    closing = self._closing
                    desired = dict(self._desired)
                if closing:
                    break
                self._tick(desired)
            self._shutdown()
            for deployment in self._deployments.values():
                deployment.log.close()
            with self._lock:
                self._published.clear()
                self._desired.clear()
                self._lock.notify_all()
        finally:
            with self._lock:
                self._release()
                self._closed.set()
                self._lock.notify_all()

    def _tick(self, desired: dict[str, _Desired]) -> None:
        try:
            now = self._clock()
            for key, wanted in desired.items():
                self._bring(key, wanted)
            self._reconcile(now)
            self._publish()
            self._pause(now, self._wait_time(self._clock()))
        except Exception:
            # A bug must not leave replicas unsupervised: log it and keep the loop alive.
            logger.exception("Compute loop error")
            time.sleep(0.1)

    def _reconcile(self, now: float) -> None:
        for deployment in self._deployments.values():
            deployment.reconcile(now, self._make_replica)

    def _bring(self, key: str, wanted: _Desired) -> None:
        deployment = self._deployments.get(key)
        if wanted.spec is None:
            if deployment is not None:
                deployment.remove(wanted.generation)
            return
        if deployment is None:
            log = DeploymentLog(log_path(self._log_dir, key), self._log_max_bytes)
            deployment = self._deployments[key] = Deployment(key, log)
        deployment.desire(wanted.spec, wanted.count, wanted.generation)

    def _make_replica(self, spec: ReplicaSpec, replica_id: str) -> Replica:
        log = self._deployments[spec.key].log
        return self._new_replica(spec, replica_id, next(self._seq), log)

    def _wait_time(self, now: float) -> float:
        times = [d.next_event() for d in self._deployments.values()]
        soonest = min((t for t in times if t is not None), default=now + _IDLE_WAIT)
        return min(max(0.0, soonest - now), _IDLE_WAIT)

    def _publish(self) -> None:
        changes: list[tuple[str, DeploymentStatus | None]] = []
        with self._lock:
            for key, deployment in list(self._deployments.items()):
                if deployment.finished:
                    deployment.log.delete()
                    del self._deployments[key]
                    self._published.pop(key, None)
                    wanted = self._desired.get(key)
                    if wanted is not None and wanted.generation == deployment.generation:
                        del self._desired[key]
                    changes.append((key, None))
                    continue
                status = deployment.status()
                old = self._published.get(key)
                if old is None or old.status != status or old.generation != deployment.generation:
                    self._published[key] = _Published(deployment.generation, status)
                    changes.append((key, status))
            if changes:
                self._lock.notify_all()
            listeners = list(self._listeners)
        for changed_key, changed in changes:
            for listener in listeners:
                try:
                    listener(changed_key, changed)
                except Exception:
                    logger.exception("A compute status listener failed")
