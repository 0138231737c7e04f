"""The SDK journey (``examples/managed-identity/sdk_journey.py``) against a real basin server, with
the real azure-ai-ml and Azure's management SDKs in a venv of their own.

``prepare`` does what a person does once with the CLI: a resource group, a service principal
(``basin ad sp create-for-rbac --role Contributor --scopes <group>``, plus User Access
Administrator on the group, since the journey assigns a role), the variables of ``basin env``,
the workspace (with azure-ai-ml's ``workspaces.begin_create``, which deploys Azure ML's workspace
template, or with the CLI), and a copy of the example with its model trained. ``run_journey``
runs the script unchanged with those variables only and returns what it printed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from basin.testing.server import ServerProcess

__all__ = ["EXAMPLE", "Journey", "JourneyResult", "basin_cli", "prepare", "run_journey"]

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "managed-identity"

_CREATE_WORKSPACE = r"""
import os, sys
from azure.ai.ml import MLClient
from azure.ai.ml.entities import Workspace
from azure.identity import DefaultAzureCredential
client = MLClient(DefaultAzureCredential(), os.environ["SUBSCRIPTION_ID"], os.environ["RESOURCE_GROUP"])
made = client.workspaces.begin_create(Workspace(name=os.environ["WORKSPACE_NAME"])).result()
print(made.id)
"""


@dataclass(frozen=True)
class Journey:
    """Where the journey runs and with which variables (secrets included: never log them)."""

    workdir: Path
    env: dict[str, str]
    secrets: tuple[str, ...]


@dataclass(frozen=True)
class JourneyResult:
    returncode: int
    result: dict[str, Any] | None
    stdout: str
    stderr: str


def basin_cli(server: ServerProcess, *args: str) -> Any:
    """Run the real CLI as a user would; its JSON output (or None)."""
    done = subprocess.run(
        [sys.executable, "-m", "basin", *args],
        env=server.env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"basin {' '.join(args[:3])} failed: {done.stderr.strip()}")
    text = done.stdout.strip()
    return json.loads(text) if text.startswith(("{", "[")) else text


def _basin_env(server: ServerProcess) -> dict[str, str]:
    printed = str(basin_cli(server, "env"))
    variables = {}
    for line in printed.splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        variables[name] = value.strip("'")
    return variables


def prepare(
    server: ServerProcess,
    python: Path,
    work: Path,
    *,
    group: str = "rg-journey",
    workspace: str = "ws-journey",
    workspace_by_sdk: bool = True,
) -> Journey:
    """Everything the journey expects to exist before it starts (see the module's docstring)."""
    subscription = server.credentials["subscription_id"]
    basin_cli(server, "group", "create", "-n", group, "-o", "none")
    group_id = f"/subscriptions/{subscription}/resourceGroups/{group}"
    sp = basin_cli(server, "ad", "sp", "create-for-rbac", "--name", f"{workspace}-sdk",
                   "--role", "Contributor", "--scopes", group_id)  # fmt: skip
    listed = basin_cli(server, "ad", "sp", "list")
    object_id = next(p["id"] for p in listed if p["appId"] == sp["appId"])
    basin_cli(server, "role", "assignment", "create", "--assignee-object-id", object_id,
              "--role", "User Access Administrator", "--scope", group_id, "-o", "none")  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BASIN_", "AZURE_"))}
    env |= _basin_env(server)
    env |= {
        "AZURE_CLIENT_ID": sp["appId"],
        "AZURE_CLIENT_SECRET": sp["password"],
        "AZURE_TENANT_ID": sp["tenant"],
        "SUBSCRIPTION_ID": subscription,
        "RESOURCE_GROUP": group,
        "WORKSPACE_NAME": workspace,
        "PYTHONUNBUFFERED": "1",
    }
    if workspace_by_sdk:
        made = subprocess.run(
            [str(python), "-c", _CREATE_WORKSPACE], env=env, capture_output=True, text=True,
            timeout=300, check=False,
        )  # fmt: skip
        if made.returncode != 0:
            raise RuntimeError(f"workspaces.begin_create failed:\n{made.stderr[-4000:]}")
    else:
        basin_cli(server, "workspace", "create", "-n", workspace, "-g", group, "-o", "none")
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(EXAMPLE, work, ignore=shutil.ignore_patterns("model", "__pycache__"))
    subprocess.run(
        [sys.executable, "train.py"], cwd=work, check=True, capture_output=True, timeout=120
    )
    return Journey(work, env, (sp["password"],))


def run_journey(
    python: Path, journey: Journey, *, suffix: str, timeout: float = 600
) -> JourneyResult:
    """Run ``sdk_journey.py`` in its folder with the journey's variables only."""
    env = journey.env | {"JOURNEY_SUFFIX": suffix}
    done = subprocess.run(
        [str(python), "sdk_journey.py"], cwd=journey.workdir, env=env, capture_output=True,
        text=True, timeout=timeout, check=False,
    )  # fmt: skip
    # azure-ai-ml's pollers print dots on stdout without a newline: the JSON starts at "{".
    last = done.stdout.strip().rsplit("\n", 1)[-1]
    result = None
    if done.returncode == 0 and "{" in last:
        result = json.loads(last[last.index("{") :])
    return JourneyResult(done.returncode, result, done.stdout, done.stderr)
