"""How long a ``basin`` command takes, start to exit, against ``az`` from PyPI as the anchor.

Run from the repository root: ``.venv/bin/python bench/cli.py [--runs 15] [--no-az]``.

basin: ``basin --help``, ``basin group list`` and ``basin online-endpoint invoke`` against a real
server (started here, with one echo deployment), each run as a fresh process, as a script runs
it. az: ``az --help`` and ``az group list`` from the ``azure-cli`` package in a venv of its own
(``bench/.venvs/azure-cli``, built once); az is not signed in here, so its ``group list`` loads
its command table and stops at "Please run 'az login'" (what it always pays before the network),
and it has no ``invoke`` without a workspace. Prints the median and spread of each, the ratio
to az where there is one, the date and the load average.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _conditions import run_reporting_conditions

from basin.testing import ServerProcess
from basin.testing.venvs import ensure_venv

ROOT = Path(__file__).resolve().parents[1]
AZ_VENV = ROOT / "bench" / ".venvs" / "azure-cli"
AZ_PINS = ("azure-cli==2.91.0",)
ECHO = "def init():\n    pass\n\ndef run(raw_data):\n    return raw_data\n"
GOAL_S = 0.4


def timed(argv: list[str], env: dict[str, str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return times


def prepare(server: ServerProcess, work: Path, env: dict[str, str]) -> None:
    basin = str(Path(sys.executable).parent / "basin")

    def run(*args: str) -> None:
        subprocess.run([basin, *args], env=env, check=True, capture_output=True)

    (work / "src").mkdir()
    (work / "src" / "score.py").write_text(ECHO)
    (work / "request.json").write_text('{"data": [1, 2, 3]}')
    (work / "blue.yml").write_text(
        "name: blue\nendpoint_name: bench-cli\ncode_configuration:\n  code: ./src\n"
        "  scoring_script: score.py\nenvironment:\n  image: basin:minimal\n"
        "instance_type: Standard_DS3_v2\ninstance_count: 1\n"
    )
    run("group", "create", "-n", "rg-bench")
    run("workspace", "create", "-n", "ws-bench", "-g", "rg-bench")
    run("configure", "--defaults", "group=rg-bench", "workspace=ws-bench")
    run("online-endpoint", "create", "-n", "bench-cli")
    run("online-deployment", "create", "-f", str(work / "blue.yml"), "--all-traffic")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--no-az", action="store_true", help="Skip the az anchor.")
    parser.add_argument("--readme", action="store_true", help="Write the figures into README.md.")
    args = parser.parse_args()
    basin = str(Path(sys.executable).parent / "basin")
    rows: list[tuple[str, list[float], list[float] | None]] = []
    az_times: dict[str, list[float]] = {}
    if not args.no_az:
        az = ensure_venv(AZ_VENV, AZ_PINS).parent / "az"
        with tempfile.TemporaryDirectory() as config:
            az_env = {**os.environ, "AZURE_CONFIG_DIR": config, "AZURE_CORE_COLLECT_TELEMETRY": "0"}
            subprocess.run([str(az), "--help"], env=az_env, capture_output=True)  # warm its cache
            az_times["--help"] = timed([str(az), "--help"], az_env, args.runs)
            az_times["group list"] = timed([str(az), "group", "list"], az_env, args.runs)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with ServerProcess(work / "home") as server:
            env = {k: v for k, v in os.environ.items() if not k.startswith("BASIN_")} | {
                "BASIN_HOME": str(server.home)
            }
            prepare(server, work, env)
            invoke = [
                basin,
                "online-endpoint",
                "invoke",
                "-n",
                "bench-cli",
                "-r",
                str(work / "request.json"),
            ]
            for label, argv in (
                ("--help", [basin, "--help"]),
                ("group list", [basin, "group", "list"]),
                ("online-endpoint invoke", invoke),
            ):
                timed(argv, env, 1)  # warm the page cache and .pyc files
                rows.append((label, timed(argv, env, args.runs), az_times.get(label)))
    load = os.getloadavg()
    lines = [
        f"{datetime.date.today()}, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
        f"({os.cpu_count()} cores), {args.runs} runs each:",
        "",
        f"| command | basin median (min-max) s | az median s | basin / az | <= {GOAL_S} s |",
        "|---|---:|---:|---:|:---:|",
    ]
    for label, times, anchor in rows:
        median = statistics.median(times)
        spread = f"{median:.3f} ({min(times):.3f}-{max(times):.3f})"
        az_median = f"{statistics.median(anchor):.3f}" if anchor else "n/a"
        ratio = f"{median / statistics.median(anchor):.2f}x" if anchor else "n/a"
        goal = "yes" if median <= GOAL_S else "no"
        lines.append(f"| `{label}` | {spread} | {az_median} | {ratio} | {goal} |")
    text = "\n".join(lines)
    print(text)
    if args.readme:
        readme = ROOT / "README.md"
        current = readme.read_text()
        start, end = "<!-- cli-bench:start -->", "<!-- cli-bench:end -->"
        before, rest = current.split(start, 1)
        readme.write_text(before + start + "\n" + text + "\n" + end + rest.split(end, 1)[1])


if __name__ == "__main__":
    run_reporting_conditions(main)
