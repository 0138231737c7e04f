"""How a replica's memory limit is enforced: a cgroup v2 where basin may make one, else an rlimit.

cgroup v2 (``memory.max``) is the real thing: it counts every page the replica and its
children use, and the kernel reclaims or OOM-kills inside the group only. It needs a cgroup v2
folder with the memory controller enabled for its children that basin may write to: the
operator's ``BASIN_CGROUP_ROOT`` (e.g. a systemd unit's delegated cgroup), else the root of a
cgroup v2 hierarchy mounted at ``/sys/fs/cgroup`` when it is writable (basin runs as root in a
container). Elsewhere (cgroup v1, or no permission) the fallback is ``RLIMIT_DATA``, not
``RLIMIT_AS``: since Linux 4.7 RLIMIT_DATA counts private writable mappings (heap and anonymous
``mmap``, where malloc puts large arrays), which is what a model's memory is, while RLIMIT_AS
counts reserved address space too (thread stacks, CUDA's and allocators' reservations of
gigabytes never touched) and would stop healthy replicas. An rlimit is per process: a replica
that forks workers gets the limit in each of them, not in total.
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MemoryLimiter", "MemoryPlan"]

logger = logging.getLogger("basin.compute")

CGROUP_V2 = "cgroup-v2"
RLIMIT_DATA = "rlimit-data"


@dataclass(frozen=True)
class MemoryPlan:
    """What the launcher does for one process: join ``cgroup_procs`` or set ``rlimit_data``."""

    mechanism: str
    cgroup_procs: str | None = None
    rlimit_data: int | None = None


def _memory_delegated(folder: Path) -> bool:
    """True when children of ``folder`` can get a ``memory.max`` basin may write."""
    try:
        if "memory" not in (folder / "cgroup.controllers").read_text().split():
            return False
        enabled = (folder / "cgroup.subtree_control").read_text().split()
        if "memory" not in enabled:
            (folder / "cgroup.subtree_control").write_text("+memory")
        return os.access(folder, os.W_OK)
    except OSError:
        return False


class MemoryLimiter:
    """Makes (and removes) the per-process memory limits of one supervisor."""

    def __init__(self, cgroup_root: Path | None = None) -> None:
        self.root: Path | None = None
        candidates = [cgroup_root] if cgroup_root else [Path("/sys/fs/cgroup")]
        for candidate in candidates:
            if _memory_delegated(candidate):
                self.root = candidate / f"basin-{os.getpid()}"
                break
        if cgroup_root is not None and self.root is None:
            logger.warning(
                "BASIN_CGROUP_ROOT %s is not a writable cgroup v2 folder with the memory "
                "controller: replica memory limits fall back to RLIMIT_DATA",
                cgroup_root,
            )

    @property
    def mechanism(self) -> str:
        return CGROUP_V2 if self.root is not None else RLIMIT_DATA

    def plan(self, name: str, limit_bytes: int) -> MemoryPlan:
        """The limit for one process of replica ``name`` (call ``release(name)`` after it ends)."""
        if self.root is not None:
            try:
                folder = self.root / name
                folder.mkdir(parents=True, exist_ok=True)
                (folder / "memory.max").write_text(str(limit_bytes))
                with contextlib.suppress(OSError):  # no swap: the limit is the limit
                    (folder / "memory.swap.max").write_text("0")
                return MemoryPlan(CGROUP_V2, cgroup_procs=str(folder / "cgroup.procs"))
            except OSError as error:
                logger.warning("Cannot make a cgroup for %s (%s): using RLIMIT_DATA", name, error)
        return MemoryPlan(RLIMIT_DATA, rlimit_data=limit_bytes)

    def release(self, name: str) -> None:
        if self.root is not None:
            with contextlib.suppress(OSError):
                (self.root / name).rmdir()

    def close(self) -> None:
        if self.root is not None:
            with contextlib.suppress(OSError):
                self.root.rmdir()
