"""One replica: its processes over time, their probes, restarts with back-off, and its stop.

A ``Replica`` lives in the supervisor's thread only (no locks). ``step(now)`` moves it along
its timers; the reactor calls back when output, exit or probe answers arrive. A replica keeps
its id and its per-replica environment across restarts; each process gets a new port.
"""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import signal
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from basin.compute._logs import DeploymentLog
from basin.compute._rollout import notify_gone, replica_event
from basin.compute.backoff import RestartPolicy, Run, restart_delay
from basin.compute.local._limits import MemoryLimiter
from basin.compute.local._machine import Allocation, Ledger, NotPlacedError
from basin.compute.local._output import OutputLines
from basin.compute.local._pidfiles import StateFolder
from basin.compute.local._probe import HttpProbe, ProbeTrack
from basin.compute.local._process import (
    close_quietly,
    exited,
    free_port,
    listening_socket,
    proc_info,
    signal_group,
    spawn,
)
from basin.compute.local._reactor import Reactor
from basin.compute.local._sockets import is_socket
from basin.compute.models import ReplicaSpec, ReplicaState, ReplicaStatus

__all__ = ["Hooks", "Replica", "ReplicaOptions"]

logger = logging.getLogger("basin.compute")

_KEEP_RUNS = 32
_PLACE_RETRY_S = 1.0  # a replica waiting for resources looks again this often
_KILL_WAIT = 5.0  # after SIGKILL: how long a stop waits before giving up on the process


@dataclass(frozen=True)
class ReplicaOptions:
    restart: RestartPolicy
    stop_grace: float  # SIGTERM -> SIGKILL
    drain: float  # out of the ready set -> SIGTERM, so callers that just picked it can finish
    fast_probe: float  # first readiness probes this often (then slower, see _readiness_due)
    tail_lines: int


@dataclass
class Hooks:
    """The shared things a replica uses, owned by the supervisor."""

    reactor: Reactor
    state: StateFolder
    ports: set[int]
    replica_env: Callable[[str, str], Mapping[str, str]] | None
    on_gone: Callable[[str, str], None] | None
    ledger: Ledger
    memory: MemoryLimiter
    host: str = "127.0.0.1"  # where replicas listen and are probed
    sockets: Path | None = None  # the folder of replicas' Unix sockets (None: TCP only)


@dataclass
class _Process:
    popen: subprocess.Popen[bytes]
    port: int
    started: float
    output_fd: int | None
    pidfd: int | None
    readiness: ProbeTrack
    liveness: ProbeTrack
    socket: str = ""  # the Unix socket path it was given ("" for none)
    socket_listens: bool = False  # it listened there when it became ready


@dataclass
class _Stop:
    phase: str  # "drain" -> "term" -> "kill"
    deadline: float
    restart: bool  # a liveness kill: the replica starts again afterwards
    reason: str = ""


@dataclass
class Replica:
    id: str
    seq: int  # creation order within the supervisor
    spec: ReplicaSpec
    options: ReplicaOptions
    hooks: Hooks
    log: DeploymentLog
    state: ReplicaState = ReplicaState.STARTING
    ever_ready: bool = False
    launches: int = 0
    last_exit_code: int | None = None
    last_output: str = ""
    failure: str = ""  # why it FAILED
    waiting_for: str = ""  # why it is WAITING
    gone: bool = False  # stopped or failed for good; on_gone has been called
    next_start: float | None = None
    runs: list[Run] = field(default_factory=list)
    _process: _Process | None = None
    _stop: _Stop | None = None
    _env: Mapping[str, str] | None = None
    _allocation: Allocation | None = None  # kept across restarts, released when gone
    _output: OutputLines = field(init=False)

    def __post_init__(self) -> None:
        self._output = OutputLines(self.id, self.log)

    # ------------------------------------------------------------------ public to the loop
    @property
    def pgid(self) -> int | None:
        """The process group of the running process (its leader's pid)."""
        return self._process.popen.pid if self._process else None

    @property
    def stopping(self) -> bool:
        return self._stop is not None and not self._stop.restart

    @property
    def ready(self) -> bool:
        return self.state is ReplicaState.READY

    def status(self) -> ReplicaStatus:
        process = self._process
        return ReplicaStatus(
            id=self.id,
            revision=self.spec.revision,
            state=self.state,
            pid=process.popen.pid if process else None,
            port=process.port if process else None,
            socket=process.socket if process and process.socket_listens else None,
            restarts=max(0, self.launches - 1),
            last_exit_code=self.last_exit_code,
            last_output=self.last_output,
            host=self.hooks.host,
            waiting_for=self.waiting_for,
        )

    def step(self, now: float) -> None:
        """Do what is due at ``now``: notice an exit, restart, probe, escalate a stop."""
        if self._process is not None and exited(self._process.popen.pid):
            self._on_exit(now)
        if self.gone:
            return
        waits = (ReplicaState.BACKING_OFF, ReplicaState.WAITING)
        if self.state in waits and self.next_start is not None:
            if now >= self.next_start and self._stop is None:
                self._launch(now)
            return
        if self._process is None:
            return
        if self._stop is not None:
            self._escalate(now)
        else:
            self._probe(now, self._process)

    def next_event(self) -> float | None:
        """When ``step`` next has something to do (None: only on a callback)."""
        if self.gone:
            return None
        if self.state in (ReplicaState.BACKING_OFF, ReplicaState.WAITING):
            return self.next_start
        process = self._process
        if process is None:
            return None
        if self._stop is not None:
            return self._stop.deadline
        return min(process.readiness.next_event(), process.liveness.next_event())

    def start(self, now: float) -> None:
        self._launch(now)

    def stop(self, now: float, drain: bool = True) -> None:
        """Stop for good: out of the ready set now, SIGTERM after the drain, SIGKILL after grace."""
        if self.gone or self.stopping:
            if self._stop is not None and not drain and self._stop.phase == "drain":
                self._stop.deadline = now  # close() does not wait for a drain
                self._escalate(now)
            return
        if self._stop is not None:  # being killed for a restart: make it for good
            self._stop.restart = False
            self.state = ReplicaState.STOPPING
            return
        if self._process is None:
            self._finish(ReplicaState.STOPPING, "stopped")
            return
        was_serving = self.state in (ReplicaState.READY, ReplicaState.UNREADY)
        self.state = ReplicaState.STOPPING
        self._cancel_probes(self._process)
        wait = self.options.drain if (drain and was_serving) else 0.0
        self._stop = _Stop("drain", now + wait, restart=False)
        self._escalate(now)

    # ------------------------------------------------------------------ starting
    def _place(self, now: float) -> bool:
        """Hold this replica's CPUs/GPUs; False (and WAITING) while they cannot be had."""
        wanted = self.spec.resources
        if wanted is None or self._allocation is not None:
            return True
        try:
            self._allocation = self.hooks.ledger.allocate(self.id, wanted)
        except NotPlacedError as error:
            if self.waiting_for != str(error):
                self._event(f"replica {self.id} waits: {error}")
            self.state, self.waiting_for = ReplicaState.WAITING, str(error)
            self.next_start = now + _PLACE_RETRY_S
            return False
        self.waiting_for = ""
        return True

    def _limits(self) -> dict[str, object]:
        allocation = self._allocation
        if allocation is None:
            return {}
        limits: dict[str, object] = {"cpus": list(allocation.cpus)} if allocation.cpus else {}
        if allocation.memory_bytes:
            plan = self.hooks.memory.plan(self.id, allocation.memory_bytes)
            limits["cgroup_procs"] = plan.cgroup_procs
            limits["rlimit_data"] = plan.rlimit_data
        return limits

    def _launch(self, now: float) -> None:
        self.next_start = None
        if not self._place(now):
            return
        self.launches += 1
        self.state = ReplicaState.STARTING
        try:
            if self._env is None and self.hooks.replica_env is not None:
                self._env = dict(self.hooks.replica_env(self.spec.key, self.id))
            # A command that serves on an inherited socket gets one already listening, so no
            # other program can take its port first; any other binds the port it is told.
            listener = (
                listening_socket(self.hooks.ports, self.hooks.host)
                if self.spec.takes_listener()
                else None
            )
            try:
                if listener is not None:
                    port, listen_fd = int(listener.getsockname()[1]), str(listener.fileno())
                else:
                    port, listen_fd = free_port(self.hooks.ports, self.hooks.host), ""
                extra = dict(self._env or {})
                if self._allocation is not None:
                    extra.update(self._allocation.environment())
                socket = self._socket_path()
                env = self.spec.environment(port, extra, self.hooks.host, socket, listen_fd)
                read_fd, write_fd = os.pipe()
                try:
                    popen = spawn(
                        self.spec.command(port, self.hooks.host, socket, listen_fd),
                        env,
                        self.spec.cwd,
                        write_fd,
                        self._limits(),
                        pass_fds=(listener.fileno(),) if listener is not None else (),
                    )
                except BaseException:
                    close_quietly(read_fd)
                    raise
                finally:
                    close_quietly(write_fd)
            finally:
                if listener is not None:
                    listener.close()  # the replica holds its own copy
        except Exception as error:
            # The message names the error type and OS reason only: a hook error could carry
            # a secret, and argv/env never go to logs.
            reason = getattr(error, "strerror", None) or type(error).__name__
            self._event(f"could not start replica {self.id}: {reason}")
            self._output.add([f"could not start the process: {reason}"])
            self.runs.append(Run(now, now))
            self._after_end(now, exit_code=None)
            return
        self.hooks.ports.add(port)
        os.set_blocking(read_fd, False)
        pidfd = None
        with contextlib.suppress(OSError, AttributeError):
            pidfd = os.pidfd_open(popen.pid)
        ready_probe, live_probe = self.spec.readiness, self.spec.liveness
        process = _Process(
            popen=popen,
            port=port,
            started=now,
            output_fd=read_fd,
            pidfd=pidfd,
            readiness=ProbeTrack(ready_probe, next_due=now),
            liveness=ProbeTrack(live_probe, next_due=now + live_probe.initial_delay),
            socket=socket,
        )
        self._process = process
        info = proc_info(popen.pid)
        if info is not None:
            self.hooks.state.record(self.id, self.spec.key, popen.pid, info.start_ticks)
        reactor = self.hooks.reactor
        reactor.watch(read_fd, selectors.EVENT_READ, lambda: self._read_output(process))
        if pidfd is not None:
            reactor.watch(pidfd, selectors.EVENT_READ, lambda: None)  # wakes the loop
        verb = "started" if self.launches == 1 else "restarted"
        self._event(f"replica {self.id} {verb} (pid {popen.pid}, port {port})")

    def _socket_path(self) -> str:
        """The Unix socket this replica's processes are given ("" without a folder); one left
        by a process that was killed is removed first."""
        if self.hooks.sockets is None:
            return ""
        path = self.hooks.sockets / f"{self.id}.sock"
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return str(path)

    # ------------------------------------------------------------------ probing
    def _probe(self, now: float, process: _Process) -> None:
        for track, is_readiness in ((process.readiness, True), (process.liveness, False)):
            probe = track.probe
            if probe is not None:
                if probe.result is None and now >= probe.deadline:
                    probe.expire()
                if probe.result is None:
                    continue
                track.probe = None
                track.record(probe.result)
                if is_readiness:
                    self._after_readiness(now, process, probe.result)
                elif not self._after_liveness(now, process, probe.result):
                    return  # being killed: no more probes
            if track.probe is None and now >= track.next_due:
                deadline = now + track.settings.timeout
                track.probe = HttpProbe(
                    self.hooks.reactor,
                    process.port,
                    self.spec.probe_path,
                    deadline,
                    self.hooks.host,
                )
                # A probe that failed at once (connection refused) is counted on the next step.

    def _after_readiness(self, now: float, process: _Process, ok: bool) -> None:
        track, settings = process.readiness, process.readiness.settings
        if ok and self.state is not ReplicaState.READY:
            if track.successes >= settings.success_threshold:
                self.state = ReplicaState.READY
                self.ever_ready = True
                # Routed to its socket only if it listens there (a command may ignore it).
                process.socket_listens = bool(process.socket) and is_socket(process.socket)
                self._event(f"replica {self.id} is ready")
        elif not ok and self.state is ReplicaState.READY:
            counts = now - process.started >= settings.initial_delay
            if counts and track.failures >= settings.failure_threshold:
                self.state = ReplicaState.UNREADY
                self._event(f"replica {self.id} failed {track.failures} readiness probes")
        track.next_due = now + self._readiness_interval(now, process)

    def _readiness_interval(self, now: float, process: _Process) -> float:
        period = process.readiness.settings.period
        if self.state is not ReplicaState.STARTING:
            return period
        # Until the first success: every fast_probe seconds, slowing to a tenth of the time
        # already waited (a replica loading a model for a minute is probed every few seconds),
        # never slower than the period. The first answer is seen within ~10% of its time.
        return min(period, max(self.options.fast_probe, (now - process.started) * 0.1))

    def _after_liveness(self, now: float, process: _Process, ok: bool) -> bool:
        track, settings = process.liveness, process.liveness.settings
        track.next_due = now + settings.period
        if ok or track.failures < settings.failure_threshold:
            return True
        self._event(f"replica {self.id} failed {track.failures} liveness probes; restarting it")
        self._cancel_probes(process)
        self.state = ReplicaState.STARTING  # out of the ready set at once
        self._stop = _Stop(
            "drain", now, restart=True, reason=f"failed {track.failures} liveness probes"
        )
        self._escalate(now)
        return False

    def _cancel_probes(self, process: _Process) -> None:
        process.readiness.cancel()
        process.liveness.cancel()

    # ------------------------------------------------------------------ stopping
    def _escalate(self, now: float) -> None:
        stop, process = self._stop, self._process
        if stop is None or process is None or now < stop.deadline:
            return
        pgid = process.popen.pid
        if stop.phase == "drain":
            signal_group(pgid, signal.SIGTERM)
            self._stop = _Stop("term", now + self.options.stop_grace, stop.restart, stop.reason)
        elif stop.phase == "term":
            self._event(f"replica {self.id} did not stop within {self.options.stop_grace:g} s")
            signal_group(pgid, signal.SIGKILL)
            self._stop = _Stop("kill", now + _KILL_WAIT, stop.restart, stop.reason)
        else:
            logger.error("Replica %s (pid %s) survives SIGKILL", self.id, pgid)
            stop.deadline = now + _KILL_WAIT

    # ------------------------------------------------------------------ output and exit
    def _read_output(self, process: _Process) -> None:
        fd = process.output_fd
        if fd is None:
            return
        data = b""
        try:
            while chunk := os.read(fd, 65536):
                data += chunk
                if len(data) > 1 << 20:
                    break  # let other replicas have their turn
            else:
                self.hooks.reactor.unwatch(fd)  # end of output: every writer has closed
                close_quietly(fd)
                process.output_fd = None
        except BlockingIOError:
            pass
        except OSError:
            self.hooks.reactor.unwatch(fd)
            close_quietly(fd)
            process.output_fd = None
        self._output.feed(data, final=process.output_fd is None)

    def _on_exit(self, now: float) -> None:
        process = self._process
        assert process is not None
        popen = process.popen
        # Anything the replica started and left behind goes now, while the unreaped leader
        # still keeps its process group id from being reused.
        signal_group(popen.pid, signal.SIGKILL)
        code = popen.wait()
        self._read_output(process)
        if process.output_fd is not None:
            self.hooks.reactor.unwatch(process.output_fd)
            close_quietly(process.output_fd)
            process.output_fd = None
        self._output.feed(b"", final=True)
        if process.pidfd is not None:
            self.hooks.reactor.unwatch(process.pidfd)
            close_quietly(process.pidfd)
        self._cancel_probes(process)
        self.hooks.ports.discard(process.port)
        if process.socket:
            with contextlib.suppress(OSError):
                os.unlink(process.socket)
        self.hooks.state.forget(self.id)
        out_of_memory = (  # killed, not by the supervisor's own stop: by the kernel for memory?
            self._stop is None
            and code == -signal.SIGKILL
            and self.hooks.memory.oom_kills(self.id) > 0
        )
        self.hooks.memory.release(self.id)
        self._process = None
        self.runs = [*self.runs[-_KEEP_RUNS + 1 :], Run(process.started, now)]
        stop, self._stop = self._stop, None
        if stop is not None and not stop.restart:
            self.last_exit_code = code
            self._finish(ReplicaState.STOPPING, f"stopped (exit code {code})")
            return
        if out_of_memory:
            self._event(f"replica {self.id} {self._out_of_memory()}")
            self._after_end(now, exit_code=code, reason="", out_of_memory=True)
            return
        self._event(f"replica {self.id} exited with code {code}")
        self._after_end(now, exit_code=code, reason=stop.reason if stop else "")

    def _after_end(
        self, now: float, exit_code: int | None, reason: str = "", out_of_memory: bool = False
    ) -> None:
        self.last_exit_code = exit_code
        self.last_output = self._output.tail(self.options.tail_lines)
        if not self.ever_ready and self.launches >= self.options.restart.start_attempts:
            how = self._out_of_memory() if out_of_memory else ""
            self.failure = self._failure_message(exit_code, reason, how)
            self._finish(ReplicaState.FAILED, "failed: it never became ready")
            return
        delay = restart_delay(self.options.restart, self.runs)
        self.state = ReplicaState.BACKING_OFF
        self.next_start = now + delay
        self._event(f"replica {self.id} restarts in {delay:g} s")

    def _out_of_memory(self) -> str:
        limit = self._allocation.memory_bytes if self._allocation else 0
        return (
            "ran out of memory and was killed by the kernel: it reached its memory limit "
            f"({limit / 2**30:g} GiB, its instance type's)"
        )

    def _failure_message(self, exit_code: int | None, reason: str, how: str = "") -> str:
        """Why the replica never became ready; ``how`` it ended, if already said."""
        how = how or _how_it_ended(exit_code, reason)
        attempts = self.launches
        text = (
            f"Replica {self.id} of revision {self.spec.revision} {how} before becoming ready "
            f"({attempts} attempt{'s' if attempts != 1 else ''})."
        )
        if self.last_output:
            text += f" Last output:\n{self.last_output}"
        return text

    def _finish(self, state: ReplicaState, what: str) -> None:
        self.state = state
        self.gone = True
        self.next_start = None
        self.hooks.ledger.release(self.id)
        self._allocation = None
        self._event(f"replica {self.id} {what}")
        notify_gone(self.hooks.on_gone, self.spec.key, self.id)

    def _event(self, message: str) -> None:
        replica_event(self.log, self.spec.key, message)


def _how_it_ended(exit_code: int | None, reason: str) -> str:
    if reason:
        return f"{reason} and was stopped"
    if exit_code is None:
        return "could not be started"
    if exit_code < 0:
        return f"was killed by {_signal_name(-exit_code)}"
    return f"exited with code {exit_code}"


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
