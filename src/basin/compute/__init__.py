"""Compute: run deployments' replicas and keep them at their desired state.

``ComputeBackend`` is the interface; ``LocalSupervisor`` runs replicas as local processes::

    backend = LocalSupervisor(home / "replicas", home / "logs", replica_env=issue_secret,
                              on_replica_gone=revoke_secret)
    backend.apply(ReplicaSpec(key=deployment_id, revision=digest, argv=[python, "-m",
                  "basin.runtime", "--port", "{port}"], env=env, cwd=code_dir), 3)
    backend.wait_ready(deployment_id, 1, timeout=60)  # -> ["127.0.0.1:41234", ...]
    backend.ready_endpoints(deployment_id)             # what the gateway routes to
    backend.close()                                     # nothing is left running
"""

from __future__ import annotations

from basin.compute.backend import ComputeBackend, StatusListener
from basin.compute.backoff import RestartPolicy, Run, crash_streak, restart_delay
from basin.compute.factory import (
    DEFAULT_COMPUTE,
    check_compute_url,
    gateway_cpus,
    guest_halt_poll_ns,
    idle_polling_hint,
    open_compute,
)
from basin.compute.instance_types import InstanceType, InstanceTypes, load_instance_types
from basin.compute.local import LocalSupervisor
from basin.compute.models import (
    ARTIFACT_KEY_HEADER,
    HOST_PLACEHOLDER,
    LISTEN_FD_PLACEHOLDER,
    PORT_PLACEHOLDER,
    SOCKET_PLACEHOLDER,
    Artifact,
    ArtifactSource,
    DeploymentState,
    DeploymentStatus,
    ProbeSettings,
    ReplicaSpec,
    ReplicaState,
    ReplicaStatus,
    Resources,
)

__all__ = [
    "ARTIFACT_KEY_HEADER",
    "DEFAULT_COMPUTE",
    "HOST_PLACEHOLDER",
    "LISTEN_FD_PLACEHOLDER",
    "PORT_PLACEHOLDER",
    "SOCKET_PLACEHOLDER",
    "Artifact",
    "ArtifactSource",
    "ComputeBackend",
    "DeploymentState",
    "DeploymentStatus",
    "InstanceType",
    "InstanceTypes",
    "LocalSupervisor",
    "ProbeSettings",
    "ReplicaSpec",
    "ReplicaState",
    "ReplicaStatus",
    "Resources",
    "RestartPolicy",
    "Run",
    "StatusListener",
    "check_compute_url",
    "crash_streak",
    "gateway_cpus",
    "guest_halt_poll_ns",
    "idle_polling_hint",
    "load_instance_types",
    "open_compute",
    "restart_delay",
]
