"""Where the gateway's workers run, and how replicas' CPUs avoid them (local back end)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from basin.compute import Resources, gateway_cpus, guest_halt_poll_ns, idle_polling_hint
from basin.compute.local._machine import Ledger, Machine
from basin.errors import ValidationError

GIB = 2**30


@pytest.mark.parametrize(
    ("wanted", "workers", "cpus", "pinned"),
    [
        (None, 1, [0, 1], (1,)),  # the last CPU
        (None, 2, list(range(8)), (6, 7)),  # the last one per worker
        (None, 1, [2, 5, 3], (5,)),  # the last of those this process may use, in order
        (None, 2, [0, 1], ()),  # a worker per CPU: the kernel places them
        (None, 1, [0], ()),  # one CPU: nothing to keep apart
        ([], 1, [0, 1], ()),  # the operator's "unpinned"
        ([0], 1, [0, 1], (0,)),  # the operator's choice
        ([1, 0], 4, [0, 1], (1, 0)),  # in the operator's order, workers take them in turn
    ],
)
def test_gateway_cpus(
    wanted: list[int] | None, workers: int, cpus: list[int], pinned: tuple[int, ...]
) -> None:
    assert gateway_cpus(wanted, workers, cpus) == pinned


def test_gateway_cpus_refuses_a_cpu_the_server_may_not_use() -> None:
    with pytest.raises(ValidationError) as caught:
        gateway_cpus([1, 5], 1, [0, 1])
    assert "CPU 5" in caught.value.message
    assert "0, 1" in caught.value.message  # the CPUs it may name


def test_gateway_cpus_default_to_this_process_s_cpus() -> None:
    assert gateway_cpus(None, 1) == gateway_cpus(None, 1, sorted(os.sched_getaffinity(0)))


def _one_cpu() -> Resources:
    return Resources(cpus=1, memory_bytes=GIB)


def test_replicas_go_to_the_cpus_the_gateway_does_not_use_first() -> None:
    ledger = Ledger(Machine(cpus=(0, 1, 2, 3), memory_bytes=8 * GIB, gpus=(), gateway=(3,)))
    placed = [ledger.allocate(name, _one_cpu()).cpus for name in "abcd"]
    assert placed[:3] == [(0,), (1,), (2,)]
    assert placed[3] == (0,)  # the gateway's CPU counts as used once, like a replica's
    # A replica asking for more CPUs than the machine has runs on all of them (over-commit).
    assert ledger.allocate("big", Resources(cpus=8, memory_bytes=GIB)).cpus == (0, 1, 2, 3)


def test_without_a_pinned_gateway_the_first_replica_takes_the_first_cpu() -> None:
    ledger = Ledger(Machine(cpus=(0, 1), memory_bytes=8 * GIB, gpus=()))
    assert ledger.allocate("a", _one_cpu()).cpus == (0,)
    assert ledger.allocate("b", _one_cpu()).cpus == (1,)
    two = Ledger(Machine(cpus=(0, 1), memory_bytes=8 * GIB, gpus=(), gateway=(1,)))
    assert two.allocate("a", _one_cpu()).cpus == (0,)
    assert two.allocate("b", _one_cpu()).cpus == (0,)  # 0 held once, 1 by the gateway: a tie


def _sys(
    root: Path, governor: str | None, poll_ns: str | None, file: str = "current_governor"
) -> Path:
    """A /sys with a cpuidle governor and haltpoll's polling window, as a VM's kernel shows."""
    if governor is not None:
        (root / "devices/system/cpu/cpuidle").mkdir(parents=True)
        (root / "devices/system/cpu/cpuidle" / file).write_text(governor + "\n")
    if poll_ns is not None:
        (root / "module/haltpoll/parameters").mkdir(parents=True)
        (root / "module/haltpoll/parameters/guest_halt_poll_ns").write_text(poll_ns + "\n")
    return root


@pytest.mark.parametrize(
    ("governor", "poll_ns", "file", "expected"),
    [
        ("haltpoll", "0", "current_governor", 0),
        ("haltpoll", "200000", "current_governor_ro", 200000),
        ("menu", "0", "current_governor", None),  # bare metal: haltpoll's value means nothing
        (None, None, "current_governor", None),  # no cpuidle at all (containers, some VMs)
        ("haltpoll", None, "current_governor", None),
        ("haltpoll", "garbage", "current_governor", None),
    ],
)
def test_guest_halt_poll_ns(
    tmp_path: Path, governor: str | None, poll_ns: str | None, file: str, expected: int | None
) -> None:
    assert guest_halt_poll_ns(_sys(tmp_path, governor, poll_ns, file)) == expected


def test_the_hint_names_the_setting_only_where_idle_cpus_do_not_poll(tmp_path: Path) -> None:
    hint = idle_polling_hint(_sys(tmp_path / "off", "haltpoll", "0"))
    assert hint is not None
    assert "guest_halt_poll_ns=0" in hint
    assert "echo 200000 > /sys/module/haltpoll/parameters/guest_halt_poll_ns" in hint
    assert idle_polling_hint(_sys(tmp_path / "on", "haltpoll", "200000")) is None
    assert idle_polling_hint(_sys(tmp_path / "metal", "menu", None)) is None
