"""Compute back ends chosen by URL (``BASIN_COMPUTE``): ``local://`` or ``ray://host:port``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

from basin.compute.backend import ComputeBackend
from basin.compute.local import LocalSupervisor
from basin.compute.local._machine import (
    detect_machine,
    gateway_cpus,
    guest_halt_poll_ns,
    idle_polling_hint,
)
from basin.compute.models import ArtifactSource
from basin.errors import ValidationError

__all__ = [
    "DEFAULT_COMPUTE",
    "check_compute_url",
    "gateway_cpus",
    "guest_halt_poll_ns",
    "idle_polling_hint",
    "open_compute",
]

DEFAULT_COMPUTE = "local://"


def check_compute_url(url: str) -> str:
    """The scheme of a valid compute URL; ``ValidationError`` saying what is accepted."""
    parts = urlsplit(url)
    if parts.scheme == "local" and not parts.netloc.strip("/") and parts.path in ("", "/"):
        return "local"
    if parts.scheme == "ray":
        try:
            port = parts.port
        except ValueError:
            port = None
        if parts.hostname and port:
            return "ray"
    raise ValidationError(
        f"BASIN_COMPUTE '{url}' is not a compute URL. Use local:// (replicas as processes on "
        "this machine) or ray://HOST:PORT (the Ray Client address of an existing Ray cluster, "
        "e.g. ray://10.0.0.5:10001; 'basin ray start' starts one here)."
    )


def open_compute(
    url: str,
    home: Path,
    *,
    replica_env: Callable[[str, str], Mapping[str, str]] | None = None,
    on_replica_gone: Callable[[str, str], None] | None = None,
    gpus: list[str] | None = None,
    cgroup_root: Path | None = None,
    artifacts: ArtifactSource | None = None,
    gateway: tuple[int, ...] = (),
) -> ComputeBackend:
    """The back end for ``url``, keeping its files under ``home`` (``replicas/``, ``logs/``);
    ``gateway``: the CPUs the gateway's workers are pinned to (local replicas avoid them)."""
    if check_compute_url(url) == "local":
        return LocalSupervisor(
            home / "replicas",
            home / "logs",
            replica_env=replica_env,
            on_replica_gone=on_replica_gone,
            machine=detect_machine(gpus, gateway),
            cgroup_root=cgroup_root,
        )
    try:
        from basin.compute.ray import RayCompute
    except ImportError:
        raise ValidationError(
            f"BASIN_COMPUTE is {url}, but Ray is not installed: pip install 'basin[ray]'."
        ) from None
    return RayCompute(
        url,
        home / "logs",
        replica_env=replica_env,
        on_replica_gone=on_replica_gone,
        artifacts=artifacts,
    )
