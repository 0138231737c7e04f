"""``RayCompute``: deployments' replicas on an existing Ray cluster (``BASIN_COMPUTE=ray://…``).

Why Ray core (actors) and not Ray Serve: Serve brings its own HTTP proxy, router and
autoscaler, and would take over what basin's gateway must keep doing the Azure way (key and
token checks, weighted split, the deployment header, mirroring, 408/424/429, one record per
request). basin needs from Ray what a scheduler gives: place a process with given CPUs, memory
and GPUs on some node, tell where it runs, and end it. So each replica is a ``ReplicaHost``
actor with the instance type's resources, running basin's runtime as a process on its node;
the gateway sends straight to ``node address:port``.

The server connects as a Ray Client (``ray://head:port``, Ray's own scheme), so it need not be a
node of the cluster. Actors are not detached: Ray ends them when their owner goes, so a basin
server that stops — or dies, after Ray Client's reconnect grace — leaves nothing on the cluster.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import ray

from basin.compute._logs import DeploymentLog
from basin.compute._reconciler import Reconciler
from basin.compute._rollout import Replica
from basin.compute.backoff import RestartPolicy
from basin.compute.models import ArtifactSource, ReplicaSpec, Resources
from basin.compute.ray._host import ReplicaHost
from basin.compute.ray._replica import RayHooks, RayOptions, RayReplica
from basin.errors import ServiceUnavailableError

__all__ = ["RayCompute"]

_GIB = 2**30


class RayCompute(Reconciler):
    """Runs replicas as Ray actors on the cluster at ``address`` (``ray://host:port``).

    ``artifacts`` says where nodes fetch a spec's artifacts they lack (the server's API).
    """

    def __init__(
        self,
        address: str,
        log_dir: Path,
        *,
        replica_env: Callable[[str, str], Mapping[str, str]] | None = None,
        on_replica_gone: Callable[[str, str], None] | None = None,
        restart: RestartPolicy | None = None,
        stop_grace: float = 10.0,
        drain: float = 1.0,
        log_max_bytes: int = 5 * 1024 * 1024,
        clock: Callable[[], float] = time.monotonic,
        poll_every: float = 0.2,
        lost_after: float = 10.0,
        artifacts: ArtifactSource | None = None,
    ) -> None:
        super().__init__(log_dir, log_max_bytes=log_max_bytes, clock=clock, thread_name="basin-ray")
        self.address = address
        self._context = _connect(address)
        self._options = RayOptions(
            restart=restart or RestartPolicy(),
            stop_grace=stop_grace,
            drain=drain,
            poll_every=poll_every,
            lost_after=lost_after,
        )
        self._hooks = RayHooks(
            actor_class=ray.remote(ReplicaHost),
            replica_env=replica_env,
            on_gone=on_replica_gone,
            explain=self._explain,
            source=artifacts,
        )
        self._wakeup = threading.Event()
        self._start_loop()

    # ------------------------------------------------------------------ the loop's parts
    def _new_replica(
        self, spec: ReplicaSpec, replica_id: str, seq: int, log: DeploymentLog
    ) -> Replica:
        return RayReplica(replica_id, seq, spec, self._options, self._hooks, log)

    def _wake(self) -> None:
        self._wakeup.set()

    def _pause(self, started: float, timeout: float) -> None:
        # Replicas are polled, not waited on: look again at most every poll period.
        self._wakeup.wait(min(timeout, self._options.poll_every))
        self._wakeup.clear()

    def _shutdown(self) -> None:
        """Stop every replica without draining, then kill whatever is left."""
        give_up = self._clock() + self._options.stop_grace + 10
        deployments = self._deployments.values()
        for deployment in deployments:
            deployment.stop_all(self._clock())
        while any(d.replicas for d in deployments) and self._clock() < give_up:
            now = self._clock()
            for deployment in deployments:
                deployment.remove(deployment.generation)
            self._reconcile(now)
            time.sleep(0.05)
        for deployment in deployments:
            for replica in deployment.replicas:
                if isinstance(replica, RayReplica) and not replica.gone:
                    replica.kill()

    def _release(self) -> None:
        with contextlib.suppress(Exception):
            ray.shutdown()  # the actors this server owns end with it

    # ------------------------------------------------------------------ placement
    def _explain(self, wanted: Resources) -> str:
        """Why an actor of ``wanted`` is not placed: no node could ever hold it, or none now.

        "" when the cluster has room: Ray is only starting the actor's worker process.
        """
        needs = _as_ray(wanted)
        try:
            nodes = [n for n in ray.nodes() if n.get("Alive")]  # type: ignore[no-untyped-call]
            available = ray.available_resources()  # type: ignore[no-untyped-call]
        except Exception as error:
            return f"Waiting for the Ray cluster ({type(error).__name__})."
        fits = [n for n in nodes if all(n["Resources"].get(k, 0) >= v for k, v in needs.items())]
        if not fits:
            largest: Mapping[str, Any] = max(
                (n["Resources"] for n in nodes), key=lambda r: r.get("CPU", 0), default={}
            )
            return (
                f"Not enough quota: no node of the Ray cluster has {wanted.describe()} "
                f"(largest node: {_describe(largest)})."
            )
        if all(available.get(k, 0) >= v for k, v in needs.items()):
            return ""
        return (
            f"Not enough quota: waiting for the Ray cluster to free {wanted.describe()} "
            f"(free now across the cluster: {_describe(available)})."
        )


def _connect(address: str, attempts: int = 3) -> Any:
    """``ray.init`` as a Ray Client; a busy head may fail to start our session once or twice."""
    for attempt in range(1, attempts + 1):
        try:
            return ray.init(
                address, log_to_driver=False, namespace="basin", ignore_reinit_error=True
            )
        except Exception as error:
            if attempt == attempts:
                raise ServiceUnavailableError(
                    f"Cannot connect to the Ray cluster at {address}: {error}. Start one with "
                    "'basin ray start' or check BASIN_COMPUTE."
                ) from None
            time.sleep(2.0 * attempt)
    raise AssertionError("unreachable")


def _as_ray(wanted: Resources) -> dict[str, float]:
    needs: dict[str, float] = {"CPU": wanted.cpus}
    if wanted.memory_bytes:
        needs["memory"] = wanted.memory_bytes
    if wanted.gpus:
        needs["GPU"] = wanted.gpus
    needs.update(dict(wanted.custom))
    return needs


def _describe(resources: Mapping[str, Any]) -> str:
    parts = [f"{resources.get('CPU', 0):g} CPU", f"{resources.get('memory', 0) / _GIB:.1f} GiB"]
    if resources.get("GPU"):
        parts.append(f"{resources['GPU']:g} GPU")
    skip = {"CPU", "memory", "GPU", "object_store_memory"}
    parts.extend(
        f"{v:g} {k}"
        for k, v in sorted(resources.items())
        if k not in skip and not k.startswith("node:")
    )
    return ", ".join(parts)
