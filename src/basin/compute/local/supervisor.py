"""``LocalSupervisor``: replicas as local processes, kept equal to the desired state.

Threading: one background thread (not an asyncio task: the supervisor must keep probing and
restarting even while the server's event loop is busy, and no caller's thread may start a
replica, because Linux sends ``PR_SET_PDEATHSIG`` when the *thread* that started a child ends).
That thread alone starts, probes and stops processes; it waits on one selector (replica output,
pidfds, probe sockets) with a timeout set by the next timer. Public methods only exchange
values with it under a lock: ``apply``/``remove`` write the desired state and wake it, and it
publishes immutable ``DeploymentStatus`` snapshots that ``status`` and the waits read.

Probe timing, where Azure ML leaves room: readiness is probed from the moment the process
starts, every 50 ms at first (so a replica that answers at once is ready at once), slowing to a
tenth of the time waited and at most ``period``; ``initial_delay`` only delays when failures
start to count. Liveness is first probed ``initial_delay`` after the start, then every
``period``; ``failure_threshold`` failures in a row restart the replica.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from basin.compute.backend import ComputeBackend, StatusListener
from basin.compute.backoff import RestartPolicy
from basin.compute.local._deployment import Deployment
from basin.compute.local._logs import DeploymentLog, follow, log_path, tail
from basin.compute.local._pidfiles import StateFolder
from basin.compute.local._process import group_members
from basin.compute.local._reactor import Reactor
from basin.compute.local._replica import Hooks, Replica, ReplicaOptions
from basin.compute.models import DeploymentState, DeploymentStatus, ReplicaSpec
from basin.errors import ServiceUnavailableError, ValidationError

__all__ = ["LocalSupervisor"]

logger = logging.getLogger("basin.compute")

_IDLE_WAIT = 0.5  # longest sleep: exits are also noticed without a pidfd


@dataclass(frozen=True)
class _Desired:
    spec: ReplicaSpec | None  # None: remove
    count: int
    generation: int


#: The loop runs at most this often (probes, output and exits wait at most this long).
_MIN_TICK_S = 0.01


class LocalSupervisor(ComputeBackend):
    """Runs replicas as processes on this machine.

    ``state_dir`` holds pid files (a folder only this supervisor uses: a second supervisor on
    it raises ``ConflictError``); replicas left in it by a previous, killed supervisor are
    stopped before this one starts. ``log_dir`` holds one log file per deployment.
    ``replica_env(key, replica_id)`` gives a replica's own extra environment (called once per
    replica, before its first process; the values are kept in memory only) and
    ``on_replica_gone(key, replica_id)`` is called once it will never run again. Both run on
    the supervisor's thread.
    """

    def __init__(
        self,
        state_dir: Path,
        log_dir: Path,
        *,
        replica_env: Callable[[str, str], Mapping[str, str]] | None = None,
        on_replica_gone: Callable[[str, str], None] | None = None,
        restart: RestartPolicy | None = None,
        stop_grace: float = 10.0,
        drain: float = 1.0,
        log_max_bytes: int = 5 * 1024 * 1024,
        tail_lines: int = 30,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log_dir = log_dir
        self._log_max_bytes = log_max_bytes
        self._clock = clock
        self._options = ReplicaOptions(
            restart=restart or RestartPolicy(),
            stop_grace=stop_grace,
            drain=drain,
            fast_probe=0.05,
            tail_lines=tail_lines,
        )
        self._state = StateFolder(state_dir)
        try:
            for leftover in self._state.clean(stop_grace):
                logger.warning(
                    "Stopped replica %s of %s left by a previous supervisor",
                    leftover.replica_id,
                    leftover.key,
                )
        except BaseException:
            self._state.close()
            raise
        self._reactor = Reactor()
        self._hooks = Hooks(self._reactor, self._state, set(), replica_env, on_replica_gone)
        self._seq = itertools.count()
        self._lock = threading.Condition()
        self._desired: dict[str, _Desired] = {}
        self._published: dict[str, _Published] = {}
        self._listeners: list[StatusListener] = []
        self._generations = itertools.count()
        self._closing = False
        self._closed = threading.Event()
        self._deployments: dict[str, Deployment] = {}  # the loop thread's own
        self._thread = threading.Thread(target=self._run, name="basin-supervisor", daemon=True)
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
            self._reactor.wake()
            self._lock.notify_all()

    def remove(self, key: str) -> None:
        with self._lock:
            self._check_open()
            wanted = self._desired.get(key)
            if wanted is None or wanted.spec is None:
                return
            self._desired[key] = _Desired(None, 0, next(self._generations))
            self._reactor.wake()
            self._lock.notify_all()

    def _check_open(self) -> None:
        if self._closing:
            raise ServiceUnavailableError("The compute supervisor is closed.")

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
                    raise ServiceUnavailableError("The compute supervisor is closed.")
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
            raise RuntimeError("close() cannot be called from the supervisor's own thread.")
        with self._lock:
            self._closing = True
            if self._thread.is_alive():
                self._reactor.wake()
            self._lock.notify_all()
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
        finally:
            with self._lock:
                self._reactor.close()
                self._state.close()
                self._closed.set()
                self._lock.notify_all()

    def _tick(self, desired: dict[str, _Desired]) -> None:
        try:
            now = self._clock()
            for key, wanted in desired.items():
                self._bring(key, wanted)
            for deployment in self._deployments.values():
                deployment.reconcile(now, self._make_replica)
            self._publish()
            # Replicas log a line per request: without a pause, thousands of one-line reads a
            # second would each cost a whole reconcile. Output waits in the pipe meanwhile.
            pause = _MIN_TICK_S - (self._clock() - now)
            if pause > 0:
                time.sleep(pause)
            self._reactor.poll(self._wait_time(self._clock()))
        except Exception:
            # A bug must not leave replicas unsupervised: log it and keep the loop alive.
            logger.exception("Supervisor loop error")
            time.sleep(0.1)

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
        return Replica(replica_id, next(self._seq), spec, self._options, self._hooks, log)

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

    def _shutdown(self) -> None:
        """Stop every replica at once: SIGTERM now, SIGKILL after the grace, no drain."""
        give_up = self._clock() + self._options.stop_grace + 10
        groups = [r.pgid for d in self._deployments.values() for r in d.replicas if r.pgid]
        for deployment in self._deployments.values():
            deployment.stop_all(self._clock())
        while any(d.replicas for d in self._deployments.values()):
            now = self._clock()
            for deployment in self._deployments.values():
                deployment.remove(deployment.generation)
                deployment.reconcile(now, self._make_replica)
            if now >= give_up:
                logger.error("Some replicas did not stop; their pid files are kept")
                break
            self._reactor.poll(min(0.05, self._wait_time(now)))
        # A leader is reaped as soon as it ends, but what it started dies of the group's SIGKILL
        # a moment later: close() returns only once nothing of any group is left.
        while any(group_members(pgid) for pgid in groups) and self._clock() < give_up:
            time.sleep(0.02)
        for deployment in self._deployments.values():
            deployment.log.close()
        with self._lock:
            self._published.clear()
            self._desired.clear()
            self._lock.notify_all()


@dataclass(frozen=True)
class _Published:
    generation: int
    status: DeploymentStatus
