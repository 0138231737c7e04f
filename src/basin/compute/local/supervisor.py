"""``LocalSupervisor``: replicas as local processes, kept equal to the desired state.

Threading: one background thread (not an asyncio task: the supervisor must keep probing and
restarting even while the server's event loop is busy, and no caller's thread may start a
replica, because Linux sends ``PR_SET_PDEATHSIG`` when the *thread* that started a child ends).
That thread alone starts, probes and stops processes; it waits on one selector (replica output,
pidfds, probe sockets) with a timeout set by the next timer (``Reconciler`` holds the loop).

Probe timing, where Azure ML leaves room: readiness is probed from the moment the process
starts, every 50 ms at first (so a replica that answers at once is ready at once), slowing to a
tenth of the time waited and at most ``period``; ``initial_delay`` only delays when failures
start to count. Liveness is first probed ``initial_delay`` after the start, then every
``period``; ``failure_threshold`` failures in a row restart the replica.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from basin.compute._logs import DeploymentLog
from basin.compute._reconciler import Reconciler
from basin.compute.backoff import RestartPolicy
from basin.compute.local._limits import MemoryLimiter
from basin.compute.local._machine import Ledger, Machine, detect_machine
from basin.compute.local._pidfiles import StateFolder
from basin.compute.local._process import group_members
from basin.compute.local._reactor import Reactor
from basin.compute.local._replica import Hooks, Replica, ReplicaOptions
from basin.compute.local._sockets import socket_folder
from basin.compute.models import ReplicaSpec

__all__ = ["LocalSupervisor"]

logger = logging.getLogger("basin.compute")

#: The loop runs at most this often (probes, output and exits wait at most this long).
_MIN_TICK_S = 0.01


class LocalSupervisor(Reconciler):
    """Runs replicas as processes on this machine.

    ``state_dir`` holds pid files (a folder only this supervisor uses: a second supervisor on
    it raises ``ConflictError``); replicas left in it by a previous, killed supervisor are
    stopped before this one starts. ``log_dir`` holds one log file per deployment.
    ``replica_env(key, replica_id)`` gives a replica's own extra environment (called once per
    replica, before its first process; the values are kept in memory only) and
    ``on_replica_gone(key, replica_id)`` is called once it will never run again. Both run on
    the supervisor's thread.

    A spec with ``resources`` gets its share of ``machine`` (detected by default; see
    ``_machine.py`` for the rules): CPU affinity, a memory limit (a cgroup, v2 or v1, where
    basin may make one, else ``RLIMIT_DATA``: ``memory_mechanism`` says which) and
    its own GPUs. Replicas listen on ``host`` (loopback by default) and, with
    ``unix_sockets``, are given a Unix socket in a private folder (``{socket}`` in their
    command or environment; ``_sockets.py``): one that listens there is routed to it.
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
        machine: Machine | None = None,
        cgroup_root: Path | None = None,
        host: str = "127.0.0.1",
        unix_sockets: bool = True,
    ) -> None:
        super().__init__(
            log_dir, log_max_bytes=log_max_bytes, clock=clock, thread_name="basin-supervisor"
        )
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
        self.machine = machine or detect_machine()
        self._memory = MemoryLimiter(cgroup_root)
        self._hooks = Hooks(
            self._reactor,
            self._state,
            set(),
            replica_env,
            on_replica_gone,
            Ledger(self.machine),
            self._memory,
            host,
            socket_folder(state_dir) if unix_sockets else None,
        )
        self._start_loop()

    @property
    def memory_mechanism(self) -> str:
        """How replica memory limits are enforced here: ``cgroup-v2``, ``cgroup-v1`` or
        ``rlimit-data``."""
        return self._memory.mechanism

    # ------------------------------------------------------------------ the loop's parts
    def _new_replica(
        self, spec: ReplicaSpec, replica_id: str, seq: int, log: DeploymentLog
    ) -> Replica:
        return Replica(replica_id, seq, spec, self._options, self._hooks, log)

    def _wake(self) -> None:
        self._reactor.wake()

    def _pause(self, started: float, timeout: float) -> None:
        # Replicas log a line per request: without a pause, thousands of one-line reads a
        # second would each cost a whole reconcile. Output waits in the pipe meanwhile.
        pause = _MIN_TICK_S - (self._clock() - started)
        if pause > 0:
            time.sleep(pause)
        self._reactor.poll(timeout)

    def _release(self) -> None:
        self._reactor.close()
        self._state.close()
        self._memory.close()
        if self._hooks.sockets is not None:  # empty once its replicas are gone
            with contextlib.suppress(OSError):
                self._hooks.sockets.rmdir()

    def _shutdown(self) -> None:
        """Stop every replica at once: SIGTERM now, SIGKILL after the grace, no drain."""
        give_up = self._clock() + self._options.stop_grace + 10
        deployments = self._deployments.values()
        groups = [
            r.pgid for d in deployments for r in d.replicas if isinstance(r, Replica) and r.pgid
        ]
        for deployment in deployments:
            deployment.stop_all(self._clock())
        while any(d.replicas for d in deployments):
            now = self._clock()
            for deployment in deployments:
                deployment.remove(deployment.generation)
            self._reconcile(now)
            if now >= give_up:
                logger.error("Some replicas did not stop; their pid files are kept")
                break
            self._reactor.poll(min(0.05, self._wait_time(now)))
        # A leader is reaped as soon as it ends, but what it started dies of the group's SIGKILL
        # a moment later: close() returns only once nothing of any group is left.
        while any(group_members(pgid) for pgid in groups) and self._clock() < give_up:
            time.sleep(0.02)
