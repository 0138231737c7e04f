"""``ComputeBackend``: the small interface every compute back end implements.

A back end keeps the replicas of each deployment equal to a desired state given by
``apply(spec, instance_count)``; callers never start or stop processes themselves. The local
back end (``LocalSupervisor``) runs replicas as local processes; a distributed one (Ray,
Kubernetes) can come later behind the same methods. Only the abstract methods differ between
back ends; the rest is written once here on top of them.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Callable, Iterator
from types import TracebackType

from basin.compute.models import DeploymentState, DeploymentStatus, ReplicaSpec, ReplicaStatus
from basin.errors import ServiceUnavailableError

__all__ = ["ComputeBackend", "StatusListener"]

StatusListener = Callable[[str, "DeploymentStatus | None"], None]
"""Called with (key, status) when a deployment's status changes; status None once removed."""


class ComputeBackend(abc.ABC):
    # ----------------------------------------------------------------- abstract: the back end
    @abc.abstractmethod
    def apply(self, spec: ReplicaSpec, instance_count: int, *, again: bool = False) -> None:
        """Make ``spec`` with ``instance_count`` replicas the desired state of ``spec.key``.

        Returns at once; the back end does the work. Applying what is already desired changes
        nothing (so a failed revision is not retried by re-applying it unchanged), unless
        ``again``: then it is a new attempt (a failed rollout is tried again; replicas that
        are up stay up). Any other change (revision or count) starts a new rollout. Raises
        ``ValidationError`` for a bad spec or count.
        """

    @abc.abstractmethod
    def remove(self, key: str) -> None:
        """Stop every replica of the deployment; it disappears once they are gone."""

    @abc.abstractmethod
    def status(self, key: str) -> DeploymentStatus | None:
        """The deployment's current status, None for a key never applied or fully removed."""

    @abc.abstractmethod
    def deployments(self) -> list[DeploymentStatus]:
        """The status of every deployment the back end knows."""

    @abc.abstractmethod
    def wait(
        self,
        key: str,
        until: Callable[[DeploymentStatus | None], bool],
        timeout: float,
    ) -> DeploymentStatus | None:
        """Block until ``until(status(key))`` is true and return that status.

        Raises ``TimeoutError`` after ``timeout`` seconds.
        """

    @abc.abstractmethod
    def logs(self, key: str, lines: int = 5000) -> str:
        """The last ``lines`` lines of the deployment's output, all replicas interleaved."""

    @abc.abstractmethod
    def follow_logs(
        self, key: str, lines: int = 10, stop: threading.Event | None = None
    ) -> Iterator[str]:
        """The last ``lines`` lines, then each new line as it is written, until ``stop``."""

    @abc.abstractmethod
    def subscribe(self, listener: StatusListener) -> Callable[[], None]:
        """Call ``listener`` on every status change (from the back end's thread).

        Returns a function that unsubscribes. A listener must not block; exceptions it raises
        are logged and ignored.
        """

    @abc.abstractmethod
    def close(self) -> None:
        """Stop every replica (SIGTERM, grace, SIGKILL) and the back end itself. Idempotent."""

    # ----------------------------------------------------------------- derived: written once
    def replicas(self, key: str) -> list[ReplicaStatus]:
        status = self.status(key)
        return list(status.replicas) if status else []

    def ready_endpoints(self, key: str) -> list[str]:
        """``127.0.0.1:port`` of each replica ready for traffic (empty for an unknown key)."""
        status = self.status(key)
        return list(status.ready_endpoints) if status else []

    def ready_routes(self, key: str) -> list[str]:
        """Where the gateway reaches each replica ready for traffic: ``unix:PATH`` for one
        that listens on a Unix socket (on this machine), else ``host:port``."""
        status = self.status(key)
        if status is None:
            return []
        return [r.route for r in status.replicas if r.ready and r.route]

    def wait_ready(self, key: str, count: int, timeout: float) -> list[str]:
        """Block until ``count`` replicas are ready and return their endpoints.

        Raises ``ServiceUnavailableError`` with the reason as soon as the deployment has failed
        (or is gone) with fewer ready replicas, and ``TimeoutError`` after ``timeout``.
        """

        def done(status: DeploymentStatus | None) -> bool:
            if status is None:
                return True
            return len(status.ready_endpoints) >= count or status.state in (
                DeploymentState.FAILED,
                DeploymentState.DELETING,
            )

        status = self.wait(key, done, timeout)
        if status is None:
            raise ServiceUnavailableError(f"Deployment {key} does not run.")
        if len(status.ready_endpoints) >= count:
            return list(status.ready_endpoints)
        raise ServiceUnavailableError(status.message or f"Deployment {key} is being deleted.")

    def wait_settled(self, key: str, timeout: float) -> DeploymentStatus | None:
        """Block until the rollout ends (``Succeeded`` or ``Failed``) or the key is gone."""
        return self.wait(key, lambda s: s is None or s.settled, timeout)

    def __enter__(self) -> ComputeBackend:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
