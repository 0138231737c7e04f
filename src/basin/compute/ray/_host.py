"""``ReplicaHost``: the Ray actor that runs one replica on whichever node Ray placed it.

The actor is a small local supervisor for one process: it runs basin's ``LocalSupervisor``
with one replica (so probes, restarts with back-off, the launcher's death signal and memory
limits are the local back end's own code), listening on the node's address. Its process is
the Ray worker (the cluster's Python, with basin installed); the replica is
``python -m basin.runtime`` with the *deployment environment's* interpreter, as locally.
When the actor dies (killed, its node lost, its owner — the basin server — gone), Linux's
parent-death signal ends the replica with it.

Ray gives the actor its GPUs (``num_gpus``); the replica gets exactly those through
``CUDA_VISIBLE_DEVICES``. CPUs are Ray's reservation only (not pinned: actors on one node do
not know each other's pins); memory is limited as on the local back end.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path
from typing import Any

from basin.compute._logs import log_path
from basin.compute.backoff import RestartPolicy
from basin.compute.local import LocalSupervisor
from basin.compute.local._machine import Machine, detect_machine
from basin.compute.models import ArtifactSource, ReplicaSpec, Resources
from basin.compute.ray._fetch import fetch_missing

__all__ = ["ReplicaHost", "node_folder"]

_MAX_READ = 1 << 20  # log bytes handed back per poll


def node_folder() -> Path:
    """Where replica hosts keep their files on this node (``BASIN_RAY_NODE_DIR`` or /tmp)."""
    return Path(os.environ.get("BASIN_RAY_NODE_DIR") or tempfile.gettempdir()) / "basin-ray"


class ReplicaHost:
    """One replica on a Ray node. Methods are called by the basin server's Ray back end."""

    def __init__(self, replica_id: str, restart: RestartPolicy, stop_grace: float) -> None:
        import ray  # the worker has Ray; the module itself must import without it

        context = ray.get_runtime_context()
        self.ip = ray.util.get_node_ip_address()  # type: ignore[no-untyped-call]
        self.node = context.get_node_id()
        self.folder = node_folder() / replica_id
        gpus = tuple(str(gpu) for gpu in ray.get_gpu_ids())
        machine = Machine(cpus=(), memory_bytes=detect_machine().memory_bytes, gpus=gpus)
        self.replica_id = replica_id
        self.extra_env: dict[str, str] = {}
        self.key = ""
        self.offset = 0
        self.supervisor = LocalSupervisor(
            self.folder / "state",
            self.folder / "logs",
            replica_env=lambda _key, _id: self.extra_env,
            restart=restart,
            stop_grace=stop_grace,
            drain=0.0,  # the server drains: it takes the replica out of the gateway first
            machine=machine,
            host=self.ip,
            unix_sockets=False,  # the gateway is on the server's machine: it uses the port
        )

    def start(
        self, spec: ReplicaSpec, extra_env: dict[str, str], source: ArtifactSource | None
    ) -> dict[str, Any]:
        """Run ``spec`` (one replica); returns where: node id, address, actor pid, fetched."""
        fetched = fetch_missing(spec.artifacts, source, node_folder() / "locks")
        home = spec.env.get("HOME")
        if home:
            Path(home).mkdir(parents=True, exist_ok=True)
        missing = [p for p in (Path(spec.argv[0]), spec.cwd) if p.is_absolute() and not p.exists()]
        if missing:
            raise FileNotFoundError(
                f"Node {self.ip} lacks {missing[0]}, which is not one of the deployment's "
                "artifacts the server can send."
            )
        self.key = spec.key
        self.extra_env = dict(extra_env)
        wanted = spec.resources
        if wanted is not None:  # custom resources were Ray's to place; the rest applies here
            wanted = Resources(wanted.cpus, wanted.memory_bytes, wanted.gpus)
        self.supervisor.apply(dataclasses.replace(spec, resources=wanted), 1)
        return {"node": self.node, "ip": self.ip, "pid": os.getpid(), "fetched": fetched}

    def poll(self) -> dict[str, Any]:
        """The replica's status and the log lines written since the last poll."""
        status = self.supervisor.status(self.key)
        replica = status.replicas[0] if status and status.replicas else None
        return {
            "replica": dataclasses.asdict(replica) if replica else None,
            "failed": bool(status and status.state.value == "Failed"),
            "message": status.message if status else "",
            "lines": self._new_lines(),
        }

    def _new_lines(self) -> list[str]:
        path = log_path(self.folder / "logs", self.key)
        try:
            with path.open("rb") as handle:
                size = handle.seek(0, os.SEEK_END)
                if self.offset > size:  # rotated: start over in the new file
                    self.offset = 0
                handle.seek(self.offset)
                data = handle.read(_MAX_READ)
        except FileNotFoundError:
            return []
        complete = data[: data.rfind(b"\n") + 1]
        self.offset += len(complete)
        return complete.decode("utf-8", "replace").splitlines()

    def stop(self) -> list[str]:
        """Stop the replica (SIGTERM, grace, SIGKILL); returns the last lines it wrote."""
        self.supervisor.close()  # keeps the log file (a removal would delete it)
        return self._new_lines()
