"""Every benchmark whose figures the README shows, one after another, as the README runs them.

    .venv/bin/python bench/run_all.py [--only hop,endpoint] [--list]

Each runs in a process of its own with the arguments the README names; its output is passed
through as it comes (each prints its date and load average beside its figures). A benchmark
that fails is reported and the rest still run; the exit status says whether all passed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent

#: (script, arguments): the README's own command line for each, in the README's order.
BENCHES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("serving", ()),
    ("blob", ()),
    ("envbuild", ()),
    ("sdk_journey", ()),
    ("endpoint", ("--seconds", "4", "--rounds", "5")),
    ("soak", ("--seconds", "120")),
    ("cli", ()),
    ("scale", ("--rounds", "3")),
    ("hop", ("--rounds", "4")),
    ("ray_deploy", ()),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated names (as in --list) to run")
    parser.add_argument("--list", action="store_true", help="print the commands and stop")
    args = parser.parse_args()
    chosen = [
        (name, extra) for name, extra in BENCHES if not args.only or name in args.only.split(",")
    ]
    unknown = set(args.only.split(",") if args.only else ()) - {name for name, _ in BENCHES}
    if unknown:
        parser.error(f"no benchmark named {', '.join(sorted(unknown))}; see --list")
    failed = []
    for name, extra in chosen:
        command = [sys.executable, str(HERE / f"{name}.py"), *extra]
        print(f"\n=== {name}: {' '.join(command[1:])}", flush=True)
        if args.list:
            continue
        started = time.monotonic()
        code = subprocess.run(command, check=False).returncode
        print(f"=== {name}: exit {code} after {time.monotonic() - started:.0f} s", flush=True)
        if code != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
