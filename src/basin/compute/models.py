"""What a compute back end is asked to run (``ReplicaSpec``) and what it reports back."""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from basin.errors import ValidationError

__all__ = [
    "ARTIFACT_KEY_HEADER",
    "HOST_PLACEHOLDER",
    "LISTEN_FD_PLACEHOLDER",
    "PORT_PLACEHOLDER",
    "SOCKET_PLACEHOLDER",
    "Artifact",
    "ArtifactSource",
    "DeploymentState",
    "DeploymentStatus",
    "ProbeSettings",
    "ReplicaSpec",
    "ReplicaState",
    "ReplicaStatus",
    "Resources",
]

PORT_PLACEHOLDER = "{port}"
#: Replaced by the address the replica must listen on (loopback locally, its node's on Ray).
HOST_PLACEHOLDER = "{host}"
#: Replaced by the path of a Unix socket the replica may listen on besides its port (the local
#: back end's; the gateway on the same machine then reaches it there, a cheaper hop than TCP),
#: or by "" where the back end offers none (Ray).
SOCKET_PLACEHOLDER = "{socket}"
#: Replaced by the number of an inherited file descriptor: a TCP socket already listening on the
#: replica's port, bound by the supervisor so no other program can take the port between its
#: choice and the replica's start (basin's runtime serves on it: ``BASIN_RUNTIME_LISTEN_FD``).
#: A command without it binds ``{port}`` itself.
LISTEN_FD_PLACEHOLDER = "{listen_fd}"


@dataclass(frozen=True)
class ProbeSettings:
    """Azure ML's probe fields (``liveness_probe`` / ``readiness_probe``), in seconds."""

    initial_delay: float = 10
    period: float = 10
    timeout: float = 2
    success_threshold: int = 1
    failure_threshold: int = 30

    def validate(self, name: str) -> None:
        for label, value in (("period", self.period), ("timeout", self.timeout)):
            if not (math.isfinite(value) and value > 0):
                raise ValidationError(f"{name}.{label} must be a number of seconds above 0.")
        if not (math.isfinite(self.initial_delay) and self.initial_delay >= 0):
            raise ValidationError(f"{name}.initial_delay must be a number of seconds, 0 or more.")
        for label, count in (
            ("success_threshold", self.success_threshold),
            ("failure_threshold", self.failure_threshold),
        ):
            if count < 1:
                raise ValidationError(f"{name}.{label} must be 1 or more.")


@dataclass(frozen=True)
class Resources:
    """What one replica asks of a machine: CPUs, memory and GPUs (from its instance type).

    ``custom`` names resources a Ray cluster's nodes advertise (e.g. ``{"node2": 0.01}`` to
    place replicas on the nodes that have it); a back end that has none of them cannot place
    the replica and says so.
    """

    cpus: float = 1.0
    memory_bytes: int = 0  # 0: no memory limit
    gpus: int = 0
    custom: tuple[tuple[str, float], ...] = ()

    def validate(self) -> None:
        if not (math.isfinite(self.cpus) and self.cpus > 0):
            raise ValidationError("An instance type needs a number of CPUs above 0.")
        if self.memory_bytes < 0 or self.gpus < 0:
            raise ValidationError("An instance type's memory and GPUs must be 0 or more.")
        for name, amount in self.custom:
            if not name or not (math.isfinite(amount) and amount > 0):
                raise ValidationError(f"Custom resource '{name}' needs an amount above 0.")

    def describe(self) -> str:
        """``4 CPU, 14 GiB, 1 GPU`` as said in messages."""
        parts = [f"{self.cpus:g} CPU"]
        if self.memory_bytes:
            parts.append(f"{self.memory_bytes / 2**30:g} GiB")
        if self.gpus:
            parts.append(f"{self.gpus} GPU")
        parts.extend(f"{amount:g} {name}" for name, amount in self.custom)
        return ", ".join(parts)


@dataclass(frozen=True)
class Artifact:
    """A file or folder a replica needs, named by its content (``env-<build key>``, …).

    A node of a distributed back end that lacks ``path`` fetches it from the server by
    ``name`` and puts it at the same path, so the replica command runs unchanged.
    """

    name: str
    path: Path


#: The header that carries the artifact key (``ArtifactSource.key``) to the server.
ARTIFACT_KEY_HEADER = "x-basin-artifact-key"


@dataclass(frozen=True)
class ArtifactSource:
    """Where nodes fetch artifacts: the server's API, the key, and the CA to trust (PEM text)."""

    url: str
    key: str = field(repr=False)
    ca_pem: str = field(default="", repr=False)


@dataclass(frozen=True)
class ReplicaSpec:
    """Everything that defines the replicas of one deployment.

    ``revision`` names all the rest: a new revision means a rolling replacement, while the same
    revision with a different ``instance_count`` is a plain scale. ``{port}`` in ``argv`` or in
    an ``env`` value is replaced by the port chosen for each replica process, ``{host}`` by the
    address it must listen on (loopback locally, its node's address on Ray), ``{socket}`` by
    a Unix socket's path or "" (see ``SOCKET_PLACEHOLDER``), ``{listen_fd}`` by an inherited
    listening socket's descriptor (see ``LISTEN_FD_PLACEHOLDER``); ``env``
    is the whole environment of the replica (nothing is inherited from the supervisor).
    """

    key: str
    revision: str
    argv: tuple[str, ...]
    env: Mapping[str, str]
    cwd: Path
    liveness: ProbeSettings = field(default_factory=ProbeSettings)
    readiness: ProbeSettings = field(default_factory=ProbeSettings)
    probe_path: str = "/"
    resources: Resources | None = None  # None: no requests, no limits
    artifacts: tuple[Artifact, ...] = ()  # what a node must have (fetched when missing)

    def __init__(
        self,
        key: str,
        revision: str,
        argv: Sequence[str],
        env: Mapping[str, str],
        cwd: Path | str,
        liveness: ProbeSettings | None = None,
        readiness: ProbeSettings | None = None,
        probe_path: str = "/",
        resources: Resources | None = None,
        artifacts: Sequence[Artifact] = (),
    ) -> None:
        # A hand-written __init__ so callers may pass lists and plain dicts: the frozen copy
        # keeps value semantics (equality) and nobody can change it under the supervisor.
        set_ = object.__setattr__
        set_(self, "key", key)
        set_(self, "revision", revision)
        set_(self, "argv", tuple(argv))
        set_(self, "env", dict(env))
        set_(self, "cwd", Path(cwd))
        set_(self, "liveness", liveness or ProbeSettings())
        set_(self, "readiness", readiness or ProbeSettings())
        set_(self, "probe_path", probe_path)
        set_(self, "resources", resources)
        set_(self, "artifacts", tuple(artifacts))

    def validate(self) -> None:
        """Raise ``ValidationError`` when the spec cannot describe a running replica."""
        if not self.key:
            raise ValidationError("A replica spec needs a key (the deployment's id).")
        if not self.revision:
            raise ValidationError("A replica spec needs a revision.")
        if not self.argv or not self.argv[0]:
            raise ValidationError("A replica spec needs a command (argv).")
        in_argv = any(PORT_PLACEHOLDER in arg for arg in self.argv)
        in_env = any(PORT_PLACEHOLDER in value for value in self.env.values())
        if not (in_argv or in_env):
            raise ValidationError(
                f"The replica command must take its port: put {PORT_PLACEHOLDER} in argv or env."
            )
        if not self.probe_path.startswith("/") or any(c in self.probe_path for c in " \r\n"):
            raise ValidationError("probe_path must be a URL path starting with '/'.")
        self.liveness.validate("liveness_probe")
        self.readiness.validate("readiness_probe")
        if self.resources is not None:
            self.resources.validate()

    def takes_listener(self) -> bool:
        """Whether the command serves on an inherited listening socket (``{listen_fd}``)."""
        texts = (*self.argv, *self.env.values())
        return any(LISTEN_FD_PLACEHOLDER in text for text in texts)

    def command(
        self, port: int, host: str = "127.0.0.1", socket: str = "", listen_fd: str = ""
    ) -> list[str]:
        return [_fill(arg, port, host, socket, listen_fd) for arg in self.argv]

    def environment(
        self,
        port: int,
        extra: Mapping[str, str],
        host: str = "127.0.0.1",
        socket: str = "",
        listen_fd: str = "",
    ) -> dict[str, str]:
        env = {k: _fill(v, port, host, socket, listen_fd) for k, v in self.env.items()}
        env.update(extra)
        return env


def _fill(text: str, port: int, host: str, socket: str, listen_fd: str) -> str:
    return (
        text.replace(PORT_PLACEHOLDER, str(port))
        .replace(HOST_PLACEHOLDER, host)
        .replace(SOCKET_PLACEHOLDER, socket)
        .replace(LISTEN_FD_PLACEHOLDER, listen_fd)
    )


class ReplicaState(enum.StrEnum):
    WAITING = "Waiting"  # its resources are not free (or do not exist): not started yet
    STARTING = "Starting"  # launched, readiness not yet reached
    READY = "Ready"  # takes traffic
    UNREADY = "Unready"  # was ready, readiness now failing: no traffic, not restarted
    BACKING_OFF = "BackingOff"  # exited; waits before the next start
    STOPPING = "Stopping"  # draining, then SIGTERM, then SIGKILL
    FAILED = "Failed"  # never became ready within its start attempts; not restarted


class DeploymentState(enum.StrEnum):
    """Azure ML's ``provisioning_state`` values."""

    CREATING = "Creating"
    UPDATING = "Updating"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    DELETING = "Deleting"


@dataclass(frozen=True)
class ReplicaStatus:
    id: str
    revision: str
    state: ReplicaState
    pid: int | None  # None while no process runs
    port: int | None
    restarts: int  # processes started after the first one
    last_exit_code: int | None  # negative: killed by that signal (as Popen.returncode)
    last_output: str  # the tail of the output of the last process that ended
    host: str = "127.0.0.1"  # where it listens: loopback locally, its node's address on Ray
    node: str = ""  # the node it runs on ("" on the local back end)
    waiting_for: str = ""  # why it waits (state Waiting)
    socket: str | None = None  # a Unix socket it also listens on (local back end), if any

    @property
    def endpoint(self) -> str | None:
        if self.port is None:
            return None
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def route(self) -> str | None:
        """Where the gateway sends its requests: ``unix:PATH`` if it has a socket, else
        ``host:port``."""
        return f"unix:{self.socket}" if self.socket else self.endpoint

    @property
    def ready(self) -> bool:
        return self.state is ReplicaState.READY


@dataclass(frozen=True)
class DeploymentStatus:
    """One deployment as the back end sees it.

    ``state`` is settled at ``Succeeded`` (the revision runs ``instance_count`` ready replicas
    and no older ones) or ``Failed`` (``message`` says why); a crash after success shows in the
    replicas and ``ready_endpoints``, not in ``state``. While ``Creating``/``Updating``,
    ``message`` says why replicas wait, if they do (e.g. not enough GPUs).
    """

    key: str
    revision: str
    instance_count: int
    state: DeploymentState
    message: str
    replicas: tuple[ReplicaStatus, ...]
    ready_endpoints: tuple[str, ...]  # "host:port", any revision, ready for traffic

    @property
    def settled(self) -> bool:
        return self.state in (DeploymentState.SUCCEEDED, DeploymentState.FAILED)
