"""How a replica's memory limit is enforced: a cgroup where basin may make one, else an rlimit.

A cgroup is the real thing: it counts every page the replica and its children use, and the
kernel reclaims or OOM-kills inside the group only. cgroup v2 (``memory.max``) needs a folder
with the memory controller enabled for its children that basin may write to: the operator's
``BASIN_CGROUP_ROOT`` (e.g. a systemd unit's delegated cgroup), else the root of a cgroup v2
hierarchy mounted at ``/sys/fs/cgroup`` when it is writable (basin runs as root in a
container). On a machine that still mounts cgroup v1's memory controller (RHEL/CentOS 7 and 8,
older Debian and Ubuntu, many containers), ``memory.limit_in_bytes`` of a child of the server's
own memory cgroup (or of ``BASIN_CGROUP_ROOT``, a v1 memory folder) when basin may write
there. Elsewhere (no permission) the fallback is ``RLIMIT_DATA``, not
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
CGROUP_V1 = "cgroup-v1"
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


def _v1_memory(folder: Path) -> bool:
    """True when ``folder`` is a cgroup v1 memory folder basin may make children in."""
    return (folder / "memory.limit_in_bytes").is_file() and os.access(folder, os.W_OK)


def own_v1_memory_cgroup(mountinfo: str | None = None, cgroups: str | None = None) -> Path | None:
    """This process's cgroup v1 memory folder, from ``/proc/self/mountinfo`` (where the memory
    hierarchy is mounted, and which of its folders the mount shows as its root) and
    ``/proc/self/cgroup`` (``N:memory:/path``); None without a v1 memory hierarchy."""
    try:
        mountinfo = mountinfo if mountinfo is not None else _read("/proc/self/mountinfo")
        cgroups = cgroups if cgroups is not None else _read("/proc/self/cgroup")
    except OSError:
        return None
    path = next(
        (
            fields[2]
            for fields in (line.split(":", 2) for line in cgroups.splitlines())
            if len(fields) == 3 and "memory" in fields[1].split(",")
        ),
        None,
    )
    if path is None:
        return None
    for line in mountinfo.splitlines():
        mount, _, rest = line.partition(" - ")
        fields, described = mount.split(), rest.split()
        if len(fields) < 5 or len(described) < 3 or described[0] != "cgroup":
            continue
        if "memory" not in described[2].split(","):
            continue
        root, point = fields[3], fields[4]
        if root != "/" and path.startswith(root):
            path = path[len(root) :]  # the mount shows a folder below the hierarchy's root
        return Path(point) / path.lstrip("/")
    return None


def _remove_stale(parent: Path) -> None:
    """Remove the (empty) cgroups of supervisors that died without closing theirs."""
    for folder in parent.glob("basin-*"):
        pid = folder.name.removeprefix("basin-")
        if not pid.isdigit() or Path(f"/proc/{pid}").exists():
            continue
        for child in folder.iterdir():
            if child.is_dir():
                with contextlib.suppress(OSError):  # busy: a process of it still runs
                    child.rmdir()
        with contextlib.suppress(OSError):
            folder.rmdir()


def _read(path: str) -> str:
    with open(path) as handle:
        return handle.read()


class MemoryLimiter:
    """Makes (and removes) the per-process memory limits of one supervisor."""

    def __init__(self, cgroup_root: Path | None = None) -> None:
        self.root: Path | None = None
        self.version = 0  # of the cgroups made under root (0: none, RLIMIT_DATA)
        if cgroup_root is not None:
            candidates = [(cgroup_root, 2), (cgroup_root, 1)]
        else:
            candidates = [(Path("/sys/fs/cgroup"), 2)]
            own = own_v1_memory_cgroup()
            if own is not None:
                candidates.append((own, 1))
        for candidate, version in candidates:
            if _memory_delegated(candidate) if version == 2 else _v1_memory(candidate):
                _remove_stale(candidate)
                self.root = candidate / f"basin-{os.getpid()}"
                self.version = version
                break
        if cgroup_root is not None and self.root is None:
            logger.warning(
                "BASIN_CGROUP_ROOT %s is neither a writable cgroup v2 folder with the memory "
                "controller nor a cgroup v1 memory folder: replica memory limits fall back to "
                "RLIMIT_DATA",
                cgroup_root,
            )

    @property
    def mechanism(self) -> str:
        return {2: CGROUP_V2, 1: CGROUP_V1}.get(self.version, RLIMIT_DATA)

    def plan(self, name: str, limit_bytes: int) -> MemoryPlan:
        """The limit for one process of replica ``name`` (call ``release(name)`` after it ends)."""
        if self.root is not None:
            try:
                folder = self.root / name
                folder.mkdir(parents=True, exist_ok=True)
                if self.version == 2:
                    (folder / "memory.max").write_text(str(limit_bytes))
                    swap, no_swap = "memory.swap.max", "0"
                else:
                    (folder / "memory.limit_in_bytes").write_text(str(limit_bytes))
                    swap, no_swap = "memory.memsw.limit_in_bytes", str(limit_bytes)
                with contextlib.suppress(OSError):  # no swap: the limit is the limit
                    (folder / swap).write_text(no_swap)  # (absent without swap accounting)
                procs = str(folder / "cgroup.procs")
                return MemoryPlan(self.mechanism, cgroup_procs=procs)
            except OSError as error:
                logger.warning("Cannot make a cgroup for %s (%s): using RLIMIT_DATA", name, error)
        return MemoryPlan(RLIMIT_DATA, rlimit_data=limit_bytes)

    def oom_kills(self, name: str) -> int:
        """How many of replica ``name``'s processes the kernel's out-of-memory killer ended in
        its cgroup (0 without one); read before ``release``."""
        if self.root is None:
            return 0
        events = "memory.events" if self.version == 2 else "memory.oom_control"
        try:
            text = (self.root / name / events).read_text()
        except OSError:
            return 0
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill" and value.strip().isdigit():
                return int(value)
        return 0

    def release(self, name: str) -> None:
        if self.root is not None:
            with contextlib.suppress(OSError):
                (self.root / name).rmdir()

    def close(self) -> None:
        if self.root is not None:
            with contextlib.suppress(OSError):
                self.root.rmdir()
