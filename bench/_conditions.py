"""When and under what load a benchmark ran: printed before and after its figures.

Figures from a quiet machine and a loaded one differ by more than most changes being measured;
the load average beside them lets a reader tell which is which.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

__all__ = ["conditions", "run_reporting_conditions"]


def conditions() -> str:
    one, five, fifteen = os.getloadavg()
    return (
        f"[{time.strftime('%Y-%m-%d %H:%M:%S %Z')}; {os.cpu_count()} CPUs; "
        f"load average {one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min); "
        f"gateway {_gateway_build()}]"
    )


def _gateway_build() -> str:
    """Whether the gateways this bench starts run their request path compiled (they inherit
    this process's environment and interpreter)."""
    from basin import native

    why = native.why_not(native.FOLDER, native.PACKAGE)
    return "compiled" if why is None else f"in Python ({why})"


def run_reporting_conditions(main: Callable[[], int | None]) -> None:
    """Run a benchmark's ``main`` between two lines saying when and under what load."""
    print(f"start {conditions()}", flush=True)
    code = main()
    print(f"end   {conditions()}", flush=True)
    sys.exit(code or 0)
