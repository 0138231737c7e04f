"""This machine's CPUs, memory and GPUs, and how replicas get their share (local back end).

Rules (where Azure's quota model meets one machine):
- GPUs are exclusive: a replica gets whole GPUs no other replica holds, through
  ``CUDA_VISIBLE_DEVICES`` (``CUDA_DEVICE_ORDER=PCI_BUS_ID`` so the numbers mean the same to
  every CUDA program); one that finds too few free waits ("not enough quota"), and a replica
  without GPUs sees none.
- CPUs are pinned, not reserved: a replica runs on ``ceil(cpus)`` of the machine's CPUs (all of
  them when it asks for more), the least used first. Over-committing CPUs keeps a laptop able to
  run a ``Standard_DS3_v2`` deployment (4 vCPU) of the Azure ML examples on 2 cores.
- The gateway's workers are pinned to CPUs of their own where there are more CPUs than workers
  (the last ones, :func:`gateway_cpus`), and those count as used once: replicas go to the others
  first. A replica and the gateway on one CPU evict each other's caches between the halves of
  every request (an echo at concurrency 1 on 2 cores: 16% more requests/s with the gateway on
  a CPU of its own, docs/architecture.md "The hop").
- Memory is a limit per replica, not a reservation (same reason); a replica asking for more
  than the machine has waits with the reason.
- Custom (Ray) resources do not exist here: a replica asking for one waits, saying so.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from basin.compute.models import Resources
from basin.errors import ValidationError

__all__ = [
    "Allocation",
    "Ledger",
    "Machine",
    "NotPlacedError",
    "detect_gpus",
    "detect_machine",
    "gateway_cpus",
    "guest_halt_poll_ns",
    "idle_polling_hint",
]

_GIB = 2**30


@dataclass(frozen=True)
class Machine:
    cpus: tuple[int, ...]  # the CPUs this process may run on; () where CPUs are not pinned
    memory_bytes: int
    gpus: tuple[str, ...]  # ids as CUDA_VISIBLE_DEVICES takes them
    gateway: tuple[int, ...] = ()  # the CPUs the gateway's workers are pinned to


def detect_gpus() -> tuple[str, ...]:
    """NVIDIA GPUs the driver shows (``/proc/driver/nvidia/gpus``), numbered in PCI bus order."""
    folder = Path("/proc/driver/nvidia/gpus")
    try:
        count = sum(1 for _ in folder.iterdir())
    except OSError:
        return ()
    return tuple(str(index) for index in range(count))


def _memory_total() -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def detect_machine(gpus: Sequence[str] | None = None, gateway: Sequence[int] = ()) -> Machine:
    """This machine; ``gpus`` replaces the detected GPU list (an operator's choice, or tests);
    ``gateway``: the CPUs the gateway's workers are pinned to."""
    return Machine(
        cpus=tuple(sorted(os.sched_getaffinity(0))),
        memory_bytes=_memory_total(),
        gpus=tuple(gpus) if gpus is not None else detect_gpus(),
        gateway=tuple(gateway),
    )


def guest_halt_poll_ns(sys_root: Path = Path("/sys")) -> int | None:
    """How long an idle CPU of this virtual machine polls before it halts (the ``haltpoll``
    cpuidle governor's ``guest_halt_poll_ns``), or None where that governor does not run."""
    cpuidle = sys_root / "devices/system/cpu/cpuidle"
    try:
        # (``current_governor`` where governors may be switched at run time, else ``_ro``)
        governor = next(
            path.read_text().strip()
            for path in (cpuidle / "current_governor", cpuidle / "current_governor_ro")
            if path.exists()
        )
        if governor != "haltpoll":
            return None
        return int((sys_root / "module/haltpoll/parameters/guest_halt_poll_ns").read_text())
    except (OSError, ValueError, StopIteration):
        return None


def idle_polling_hint(sys_root: Path = Path("/sys")) -> str | None:
    """What to tell the operator of a virtual machine whose idle CPUs halt without polling
    first; None elsewhere.

    Each halt is an exit to the hypervisor, and each wake-up of a halted CPU waits for it: a
    request through the gateway wakes three processes instead of two, so at low load the hop
    costs mostly wake-ups (docs/architecture.md, "The hop", seventh step).
    """
    if guest_halt_poll_ns(sys_root) != 0:
        return None
    return (
        "this virtual machine's idle CPUs halt without polling first (cpuidle haltpoll, "
        "guest_halt_poll_ns=0): every wake-up of a process waits for the hypervisor, which "
        "makes a lone client's requests slower, through the gateway most (bench/endpoint.py, "
        "echo at concurrency 1 on 2 vCPUs: 0.53x of direct without polling, 0.76x with). "
        "To poll as the kernel does by default, as root: "
        "echo 200000 > /sys/module/haltpoll/parameters/guest_halt_poll_ns "
        "(at boot: haltpoll.guest_halt_poll_ns=200000)."
    )


def gateway_cpus(
    wanted: Sequence[int] | None, workers: int, cpus: Sequence[int] | None = None
) -> tuple[int, ...]:
    """The CPUs the gateway's ``workers`` are pinned to, one each in turn: ``wanted`` (the
    operator's; ``[]``: none), else the last ``workers`` of ``cpus`` (default: those this
    process may use) where there are more CPUs than workers, else none (on one CPU, or with a
    worker per CPU, the kernel places them). ``ValidationError`` for a CPU not in ``cpus``."""
    available = sorted(os.sched_getaffinity(0) if cpus is None else cpus)
    if wanted is not None:
        outside = sorted(set(wanted) - set(available))
        if outside:
            raise ValidationError(
                f"gateway_cpus names CPU {', '.join(map(str, outside))}, which this server may "
                f"not use (it may use {', '.join(map(str, available))}). Name CPUs from that "
                "list, or [] to leave the gateway unpinned."
            )
        return tuple(wanted)
    if len(available) <= workers:
        return ()
    return tuple(available[-workers:])


@dataclass(frozen=True)
class Allocation:
    cpus: tuple[int, ...]
    gpus: tuple[str, ...]
    memory_bytes: int  # 0: no limit

    def environment(self) -> dict[str, str]:
        return {"CUDA_VISIBLE_DEVICES": ",".join(self.gpus), "CUDA_DEVICE_ORDER": "PCI_BUS_ID"}


class NotPlacedError(Exception):
    """The replica cannot have its resources now; ``str()`` says why, for ``show``."""


class Ledger:
    """Who holds which CPUs and GPUs (used from the supervisor's thread only)."""

    def __init__(self, machine: Machine) -> None:
        self.machine = machine
        self._held: dict[str, Allocation] = {}

    def allocate(self, owner: str, wanted: Resources) -> Allocation:
        """Give ``owner`` its share (the same one again if it already holds one)."""
        held = self._held.get(owner)
        if held is not None:
            return held
        machine = self.machine
        if wanted.custom:
            names = ", ".join(name for name, _ in wanted.custom)
            raise NotPlacedError(
                f"Not enough quota: the instance type asks for {names}, which only a Ray "
                "cluster's nodes can offer; the local compute back end has none."
            )
        if wanted.memory_bytes > machine.memory_bytes:
            raise NotPlacedError(
                f"Not enough quota: the instance type needs {wanted.memory_bytes / _GIB:g} GiB "
                f"of memory; this machine has {machine.memory_bytes / _GIB:.1f} GiB."
            )
        busy = {gpu for allocation in self._held.values() for gpu in allocation.gpus}
        free = [gpu for gpu in machine.gpus if gpu not in busy]
        if wanted.gpus > len(free):
            raise NotPlacedError(
                f"Not enough quota: the instance type needs {wanted.gpus} GPU"
                f"{'s' if wanted.gpus != 1 else ''}; {len(free)} of this machine's "
                f"{len(machine.gpus)} are free. The replica waits for one to be released."
            )
        use: dict[int, int] = dict.fromkeys(machine.cpus, 0)
        for cpu in machine.gateway:
            if cpu in use:
                use[cpu] += 1
        for allocation in self._held.values():
            for cpu in allocation.cpus:
                if cpu in use:
                    use[cpu] += 1
        count = min(len(machine.cpus), max(1, math.ceil(wanted.cpus))) if machine.cpus else 0
        cpus = tuple(sorted(sorted(use, key=lambda cpu: (use[cpu], cpu))[:count]))
        allocation = Allocation(cpus, tuple(free[: wanted.gpus]), wanted.memory_bytes)
        self._held[owner] = allocation
        return allocation

    def release(self, owner: str) -> None:
        self._held.pop(owner, None)
