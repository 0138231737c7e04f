"""The SDK journey's wall time: Azure ML's managed-identity notebook, run unchanged by the real
azure-ai-ml and Azure's management SDKs against basin (``examples/managed-identity/sdk_journey.py``).

    .venv/bin/python bench/sdk_journey.py [--runs 3]

A basin server with an empty environment cache; the set-up the journey expects (a resource
group, a service principal from ``basin ad sp create-for-rbac``, the workspace made by
azure-ai-ml's ``workspaces.begin_create``, timed apart); then the journey ``--runs`` times: the
first builds the deployment's environment, the others find it cached. Each run is a fresh
process (imports, sign-in and all), from the first ARM call to the last delete. Azure ML
documents 8-14 minutes for the deployment step alone; the goal here is the whole journey,
cached environment, under 30 s. Prints a markdown table with the date and load average and
writes it to bench/results/sdk_journey.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from _conditions import run_reporting_conditions

from basin.testing import ServerProcess
from basin.testing.azureml_sdk import AZURE_AI_ML_VERSION, ensure_azure_sdks
from basin.testing.sdk_journey import prepare, run_journey

HERE = Path(__file__).parent
STEPS = (
    "workspace",
    "model and environment",
    "storage account and blob",
    "endpoint",
    "role assignment",
    "deployment",
    "traffic and invoke",
    "delete",
)


def _load() -> str:
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="journeys (the first builds)")
    args = parser.parse_args()
    python = ensure_azure_sdks(HERE / ".venvs" / "azure-sdks")
    started_at, load_before = time.strftime("%Y-%m-%d %H:%M"), _load()
    rows: list[tuple[str, dict[str, float], float]] = []
    with tempfile.TemporaryDirectory(prefix="basin-sdk-journey-") as tmp:
        work = Path(tmp)
        env = {"BASIN_BUILD_CACHE": str(work / "cache")}
        with ServerProcess(work / "home", extra_env=env) as server:
            began = time.monotonic()
            journey = prepare(server, python, work / "managed-identity")
            setup_s = time.monotonic() - began
            print(f"set-up (group, service principal, workspace by azure-ai-ml): {setup_s:.1f} s")
            for run in range(args.runs):
                began = time.monotonic()
                done = run_journey(python, journey, suffix=str(run + 1))
                wall = time.monotonic() - began
                if done.returncode != 0 or done.result is None:
                    print(done.stderr[-6000:], file=sys.stderr)
                    return 1
                label = "fresh environment" if run == 0 else "cached environment"
                rows.append((label, done.result["steps"], wall))
                print(f"run {run + 1} ({label}): {wall:.1f} s", flush=True)
    header = "| run | " + " | ".join(STEPS) + " | whole journey (process wall time) |"
    lines = [
        f"azure-ai-ml {AZURE_AI_ML_VERSION} + azure-mgmt-storage/-authorization + "
        f"azure-storage-blob against basin through its proxy; {started_at}; load average "
        f"{load_before} before, {_load()} after. Seconds.",
        "",
        header,
        "|---|" + "---:|" * (len(STEPS) + 1),
    ]
    for label, steps, wall in rows:
        cells = " | ".join(f"{steps.get(step, 0):.1f}" for step in STEPS)
        lines.append(f"| {label} | {cells} | **{wall:.1f}** |")
    table = "\n".join(lines)
    print("\n" + table)
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "sdk_journey.md").write_text(table + "\n")
    return 0


if __name__ == "__main__":
    run_reporting_conditions(main)
