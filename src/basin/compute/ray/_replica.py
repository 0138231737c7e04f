"""``RayReplica``: one replica as the basin server sees it, run by a ``ReplicaHost`` actor.

Lives in the Ray back end's loop thread only. It creates the actor with the instance type's
resources (Ray places it), starts the replica in it, polls it (status and new log lines) a few
times a second, and replaces the actor — with back-off — when it dies or its node is lost.
Restarts of the replica *process* happen inside the actor (the local supervisor's back-off);
restarts here are of the actor itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import ray
from ray.exceptions import ActorUnavailableError, RayActorError, RayTaskError

from basin.compute._logs import DeploymentLog
from basin.compute._rollout import notify_gone, replica_event
from basin.compute.backoff import RestartPolicy, Run, restart_delay
from basin.compute.models import (
    ArtifactSource,
    ReplicaSpec,
    ReplicaState,
    ReplicaStatus,
    Resources,
)

__all__ = ["RayOptions", "RayReplica"]

logger = logging.getLogger("basin.compute")

_KEEP_RUNS = 32


@dataclass(frozen=True)
class RayOptions:
    restart: RestartPolicy
    stop_grace: float
    drain: float
    poll_every: float = 0.2  # seconds between two polls of a replica
    lost_after: float = 10.0  # an unreachable actor is replaced after this long
    explain_after: float = 2.0  # a replica not placed by then says why it waits (if it does)


@dataclass
class RayHooks:
    """What every replica of one back end shares (owned by ``RayCompute``)."""

    actor_class: Any  # ray.remote(ReplicaHost)
    replica_env: Callable[[str, str], Mapping[str, str]] | None
    on_gone: Callable[[str, str], None] | None
    explain: Callable[[Resources], str]  # why a replica of these resources is not placed
    source: ArtifactSource | None = None  # where nodes fetch what they lack


@dataclass
class RayReplica:
    id: str
    seq: int
    spec: ReplicaSpec
    options: RayOptions
    hooks: RayHooks
    log: DeploymentLog
    state: ReplicaState = ReplicaState.STARTING
    gone: bool = False
    failure: str = ""
    ever_ready: bool = False
    launches: int = 0
    runs: list[Run] = field(default_factory=list)
    next_start: float | None = None
    waiting_for: str = ""
    _actor: Any = None
    _started_at: float = 0.0
    _start_ref: Any = None
    _poll_ref: Any = None
    _next_poll: float = 0.0
    _where: dict[str, Any] = field(default_factory=dict)
    _inner: dict[str, Any] | None = None  # the actor's last ReplicaStatus, as a dict
    _unreachable_since: float | None = None
    _stop_ref: Any = None
    _stop_at: float | None = None  # drain ends: ask the actor to stop
    _kill_at: float | None = None  # the actor did not stop: kill it
    _stopping: bool = False
    _env: Mapping[str, str] | None = None

    # ------------------------------------------------------------------ the Replica protocol
    @property
    def stopping(self) -> bool:
        return self._stopping

    @property
    def ready(self) -> bool:
        return self.state is ReplicaState.READY

    def start(self, now: float) -> None:
        self._launch(now)

    def status(self) -> ReplicaStatus:
        inner = self._inner or {}
        running = self._actor is not None and not self._stopping
        return ReplicaStatus(
            id=self.id,
            revision=self.spec.revision,
            state=self.state,
            pid=inner.get("pid") if running else None,
            port=inner.get("port") if running else None,
            restarts=max(0, self.launches - 1) + int(inner.get("restarts") or 0),
            last_exit_code=inner.get("last_exit_code"),
            last_output=str(inner.get("last_output") or ""),
            host=str(self._where.get("ip") or inner.get("host") or "127.0.0.1"),
            node=str(self._where.get("node") or ""),
            waiting_for=self.waiting_for,
        )

    def next_event(self) -> float | None:
        if self.gone:
            return None
        times = [self.next_start, self._stop_at, self._kill_at]
        if self._actor is not None and not self._stopping:
            times.append(self._next_poll)
        found = [t for t in times if t is not None]
        return min(found) if found else None

    def step(self, now: float) -> None:
        if self.gone:
            return
        if self._stopping:
            self._step_stop(now)
            return
        if self.next_start is not None:
            if now >= self.next_start:
                self._launch(now)
            return
        if self._actor is None:
            return
        if self._start_ref is not None:
            self._step_start(now)
            return
        self._step_poll(now)

    def stop(self, now: float, drain: bool = True) -> None:
        if self.gone:
            return
        if self._stopping:
            if not drain and self._stop_at is not None:
                self._stop_at = now
                self._step_stop(now)
            return
        serving = self.state in (ReplicaState.READY, ReplicaState.UNREADY)
        self._stopping = True
        self.state = ReplicaState.STOPPING
        self.next_start = None
        if self._actor is None:
            self._finish("stopped")
            return
        self._stop_at = now + (self.options.drain if drain and serving else 0.0)
        self._step_stop(now)

    # ------------------------------------------------------------------ starting
    def _launch(self, now: float) -> None:
        self.next_start = None
        self.launches += 1
        self.state = ReplicaState.STARTING
        self._inner, self._where = None, {}
        try:
            if self._env is None and self.hooks.replica_env is not None:
                self._env = dict(self.hooks.replica_env(self.spec.key, self.id))
            wanted = self.spec.resources or Resources(cpus=1)
            options: dict[str, Any] = {
                "num_cpus": wanted.cpus,
                "num_gpus": wanted.gpus,
                "resources": dict(wanted.custom),
                "max_restarts": 0,  # basin replaces a lost actor itself, with back-off
                "max_concurrency": 2,  # a poll may run while a stop waits
                "scheduling_strategy": "SPREAD",  # replicas of a deployment on many nodes
                "name": None,
            }
            if wanted.memory_bytes:
                options["memory"] = wanted.memory_bytes
            self._actor = self.hooks.actor_class.options(**options).remote(
                self.id, self.options.restart, self.options.stop_grace
            )
            self._start_ref = self._actor.start.remote(
                self.spec, dict(self._env or {}), self.hooks.source
            )
        except Exception as error:  # Ray refused the request (e.g. a bad resource)
            self._event(f"could not create the actor of replica {self.id}: {error}")
            self._actor = None
            self._lost(now, f"could not be placed: {error}")
            return
        self._started_at = now
        self._event(f"replica {self.id} requested from Ray ({wanted.describe()})")

    def _step_start(self, now: float) -> None:
        ready, _ = ray.wait([self._start_ref], timeout=0)
        if not ready:
            if now - self._started_at >= self.options.explain_after:
                reason = self.hooks.explain(self.spec.resources or Resources(cpus=1))
                if reason and reason != self.waiting_for:
                    self._event(f"replica {self.id} waits: {reason}")
                self.waiting_for = reason
                self.state = ReplicaState.WAITING if reason else ReplicaState.STARTING
            return
        ref, self._start_ref = self._start_ref, None
        try:
            self._where = ray.get(ref)
        except RayTaskError as error:
            self._event(f"replica {self.id} could not start: {_cause(error)}")
            self._kill_actor()
            self._lost(now, _cause(error), fatal=True)
            return
        except RayActorError as error:
            self._kill_actor()
            self._lost(now, f"its actor died ({type(error).__name__})")
            return
        self.state, self.waiting_for = ReplicaState.STARTING, ""
        if self._where.get("fetched"):
            names = ", ".join(self._where["fetched"])
            self._event(f"node {self._where['ip']} fetched from the server: {names}")
        self._event(
            f"replica {self.id} placed on node {self._where['ip']} "
            f"({str(self._where['node'])[:12]}, actor pid {self._where['pid']})"
        )
        self._next_poll = now

    # ------------------------------------------------------------------ polling
    def _step_poll(self, now: float) -> None:
        if self._poll_ref is None:
            if now >= self._next_poll:
                self._poll_ref = self._actor.poll.remote()
                self._next_poll = now + self.options.poll_every
            return
        ready, _ = ray.wait([self._poll_ref], timeout=0)
        if not ready:
            self._check_unreachable(now)
            return
        ref, self._poll_ref = self._poll_ref, None
        try:
            answer = ray.get(ref)
        except ActorUnavailableError:
            self._check_unreachable(now, unreachable=True)
            return
        except (RayActorError, RayTaskError) as error:
            self._kill_actor()
            self._lost(now, f"its actor died ({type(error).__name__})")
            return
        self._unreachable_since = None
        self._take(answer)

    def _check_unreachable(self, now: float, unreachable: bool = False) -> None:
        # A poll still unanswered after half the loss delay means the actor is not answering
        # (a busy machine makes a poll take a second or more: that alone is no reason to take
        # a ready replica out of the gateway; Ray says at once when its node is gone).
        slow = now >= self._next_poll + self.options.lost_after / 2
        if self._poll_ref is not None and not unreachable and not slow:
            return
        if self._unreachable_since is None:
            self._unreachable_since = now
            if self.state is ReplicaState.READY:
                self.state = ReplicaState.UNREADY  # out of the gateway at once
                self._event(f"replica {self.id} is unreachable (its node may be lost)")
        if now - self._unreachable_since >= self.options.lost_after:
            self._poll_ref = None
            self._kill_actor()
            self._lost(now, f"unreachable for {self.options.lost_after:g} s")

    def _take(self, answer: dict[str, Any]) -> None:
        lines = answer.get("lines") or []
        if lines:
            self.log.write(self.id, [_strip_source(line) for line in lines])
        inner = answer.get("replica")
        self._inner = inner
        if answer.get("failed"):
            self.failure = str(answer.get("message") or "The replica never became ready.")
            self._kill_actor()
            self._finish("failed: it never became ready", ReplicaState.FAILED)
            return
        inner_state = str((inner or {}).get("state") or "")
        if inner_state == ReplicaState.READY.value:
            if self.state is not ReplicaState.READY:
                self._event(f"replica {self.id} is ready at {self.status().endpoint}")
            self.state = ReplicaState.READY
            self.ever_ready = True
        elif inner_state == ReplicaState.UNREADY.value:
            self.state = ReplicaState.UNREADY
        elif inner_state == ReplicaState.WAITING.value:
            self.state = ReplicaState.WAITING
            self.waiting_for = str((inner or {}).get("waiting_for") or "")
        else:
            self.state = ReplicaState.STARTING

    # ------------------------------------------------------------------ losing and stopping
    def _lost(self, now: float, reason: str, fatal: bool = False) -> None:
        """The actor is gone: start another after the back-off, or fail the replica."""
        self._actor = None
        self._start_ref = self._poll_ref = None
        self._unreachable_since = None
        self.runs = [*self.runs[-_KEEP_RUNS + 1 :], Run(self._started_at, now)]
        attempts = self.options.restart.start_attempts
        if fatal or (not self.ever_ready and self.launches >= attempts):
            self.failure = (
                f"Replica {self.id} of revision {self.spec.revision} {reason} "
                f"({self.launches} attempt{'s' if self.launches != 1 else ''})."
            )
            self._finish("failed", ReplicaState.FAILED)
            return
        delay = restart_delay(self.options.restart, self.runs)
        self.state = ReplicaState.BACKING_OFF
        self.next_start = now + delay
        self._event(f"replica {self.id} lost: {reason}; a new actor in {delay:g} s")

    def _step_stop(self, now: float) -> None:
        if self._stop_at is not None and now >= self._stop_at:
            self._stop_at = None
            if self._start_ref is not None:  # never placed: nothing to stop
                self._kill_actor()
                self._finish("stopped")
                return
            self._stop_ref = self._actor.stop.remote()
            self._kill_at = now + self.options.stop_grace + 5
            return
        if self._stop_ref is not None:
            ready, _ = ray.wait([self._stop_ref], timeout=0)
            if ready:
                try:
                    lines = ray.get(self._stop_ref)
                    if lines:
                        self.log.write(self.id, [_strip_source(line) for line in lines])
                except Exception:
                    pass  # the actor died while stopping: it is stopped
                self._stop_ref = None
                self._kill_actor()
                self._finish("stopped")
                return
        if self._kill_at is not None and now >= self._kill_at:
            self._event(f"replica {self.id} did not stop in time: killing its actor")
            self._kill_actor()
            self._finish("stopped (killed)")

    def kill(self) -> None:
        """End the actor now (a stop that ran out of time at close)."""
        self._kill_actor()
        self._finish("killed")

    def _kill_actor(self) -> None:
        if self._actor is not None:
            try:
                ray.kill(self._actor, no_restart=True)
            except Exception:
                logger.debug("ray.kill failed for replica %s", self.id, exc_info=True)
        self._actor = None

    def _finish(self, what: str, state: ReplicaState = ReplicaState.STOPPING) -> None:
        self.state = state
        self.gone = True
        self._actor = None
        self.next_start = self._stop_at = self._kill_at = None
        self._event(f"replica {self.id} {what}")
        notify_gone(self.hooks.on_gone, self.spec.key, self.id)

    def _event(self, message: str) -> None:
        replica_event(self.log, self.spec.key, message)


def _strip_source(line: str) -> str:
    """The actor's own log says ``<its replica id> | text``; the server's says ours."""
    source, sep, text = line.partition(" | ")
    if not sep:
        return line
    return f"[node] {text}" if source == "supervisor" else text


def _cause(error: RayTaskError) -> str:
    cause = getattr(error, "cause", None)
    return str(cause) if cause is not None else str(error).splitlines()[-1]
