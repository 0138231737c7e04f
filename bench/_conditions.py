"""When and under what load a benchmark ran: printed before and after its figures.

Figures from a quiet machine and a loaded one differ by more than most changes being measured;
the load average beside them lets a reader tell which is which. So does how idle CPUs wait: on
a virtual machine whose idle CPUs halt without polling (cpuidle ``haltpoll`` with
``guest_halt_poll_ns`` 0), every wake-up waits for the hypervisor: a lone client's requests
took 1.4 times as long straight to a replica, and twice as long through the gateway, as with
polling (docs/architecture.md, "The hop", seventh step).

``BENCH_GUEST_HALT_POLL_NS=200000`` (as root, on such a machine) sets that polling window for
the run and puts the old value back after it; the conditions line shows the value in force.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from basin.compute import guest_halt_poll_ns

__all__ = ["conditions", "run_reporting_conditions"]

HALT_POLL = Path("/sys/module/haltpoll/parameters/guest_halt_poll_ns")


def conditions() -> str:
    one, five, fifteen = os.getloadavg()
    return (
        f"[{time.strftime('%Y-%m-%d %H:%M:%S %Z')}; {os.cpu_count()} CPUs; "
        f"load average {one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min); "
        f"{_idle()}; gateway {_gateway_build()}]"
    )


def _idle() -> str:
    polled = guest_halt_poll_ns()
    if polled is None:
        return "idle CPUs: not a haltpoll VM"
    if polled == 0:
        return "idle CPUs halt without polling (guest_halt_poll_ns 0)"
    return f"idle CPUs poll up to {polled / 1000:g} µs before halting"


def _gateway_build() -> str:
    """Whether the gateways this bench starts run their request path compiled (they inherit
    this process's environment and interpreter)."""
    from basin import native

    why = native.why_not(native.FOLDER, native.PACKAGE)
    return "compiled" if why is None else f"in Python ({why})"


def _set_halt_poll(wanted: str) -> str | None:
    """Set the polling window to ``wanted`` ns; returns the value to restore (None: unchanged)."""
    before = guest_halt_poll_ns()
    if before is None:
        print("BENCH_GUEST_HALT_POLL_NS ignored: this machine is not a haltpoll VM", flush=True)
        return None
    try:
        HALT_POLL.write_text(str(int(wanted)))
    except (OSError, ValueError) as ex:
        sys.exit(f"BENCH_GUEST_HALT_POLL_NS={wanted!r}: cannot set it ({ex}); run as root")
    return str(before)


def run_reporting_conditions(main: Callable[[], int | None]) -> None:
    """Run a benchmark's ``main`` between two lines saying when and under what load."""
    wanted = os.environ.get("BENCH_GUEST_HALT_POLL_NS")
    restore = _set_halt_poll(wanted) if wanted else None
    try:
        print(f"start {conditions()}", flush=True)
        code = main()
        print(f"end   {conditions()}", flush=True)
    finally:
        if restore is not None:
            HALT_POLL.write_text(restore)
    sys.exit(code or 0)
