"""The public interface of basin.compute is what __all__ says."""

from __future__ import annotations

import basin.compute
import basin.compute.local


def test_exports() -> None:
    assert sorted(basin.compute.__all__) == sorted(
        [
            "ARTIFACT_KEY_HEADER",
            "Artifact",
            "ArtifactSource",
            "DEFAULT_COMPUTE",
            "HOST_PLACEHOLDER",
            "LISTEN_FD_PLACEHOLDER",
            "PORT_PLACEHOLDER",
            "SOCKET_PLACEHOLDER",
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
    )
    assert all(hasattr(basin.compute, name) for name in basin.compute.__all__)
    assert basin.compute.local.__all__ == ["LocalSupervisor"]


def test_local_supervisor_is_a_compute_backend() -> None:
    assert issubclass(basin.compute.LocalSupervisor, basin.compute.ComputeBackend)
