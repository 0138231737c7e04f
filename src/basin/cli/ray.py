"""``basin ray start``: start a Ray head on this machine, to try the Ray compute back end."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Annotated

import typer

from basin.errors import ValidationError

__all__ = ["app", "head_command"]

app = typer.Typer(
    help="Try deployments on Ray: start a Ray head here, then run the server with the "
    "BASIN_COMPUTE it prints.",
    no_args_is_help=True,
)


def _ray() -> str:
    beside = Path(sys.executable).with_name("ray")
    found = str(beside) if beside.exists() else shutil.which("ray")
    if not found:
        raise ValidationError("Ray is not installed: pip install 'basin[ray]'.")
    return found


def head_command(
    address: str,
    port: int,
    gcs_port: int,
    num_cpus: int | None,
    temp_dir: Path | None,
    block: bool,
    object_store_memory: int | None = None,
    resources: str | None = None,
    extra: list[str] | None = None,
) -> list[str]:
    """The ``ray start --head`` command line for a head whose Ray Client listens on ``port``."""
    command = [
        _ray(),
        "start",
        "--head",
        f"--node-ip-address={address}",
        f"--port={gcs_port}",
        f"--ray-client-server-port={port}",
        "--include-dashboard=false",
        "--disable-usage-stats",
    ]
    if num_cpus is not None:
        command.append(f"--num-cpus={num_cpus}")
    if temp_dir is not None:
        command.append(f"--temp-dir={temp_dir}")
    if object_store_memory is not None:
        command.append(f"--object-store-memory={object_store_memory}")
    if resources:
        try:
            parsed = json.loads(resources)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            raise ValidationError(
                f"--resources {resources!r} is not a JSON object of names to amounts, "
                "e.g. '{\"gpu-pool\": 1}'."
            )
        command.append(f"--resources={json.dumps(parsed)}")
    command.extend(extra or [])
    if block:
        command.append("--block")
    return command


@app.command("start")
def start(
    address: Annotated[
        str,
        typer.Option(
            help="The head's address. Ray refuses 127.0.0.1, so the default is another "
            "loopback address; give the machine's own address for a cluster of several machines."
        ),
    ] = "127.0.0.2",
    port: Annotated[int, typer.Option(help="Ray Client port (what BASIN_COMPUTE names).")] = 10001,
    gcs_port: Annotated[int, typer.Option(help="The head's GCS port (what nodes join).")] = 6379,
    num_cpus: Annotated[int | None, typer.Option(help="CPUs the head offers.")] = None,
    temp_dir: Annotated[Path | None, typer.Option(help="Ray's session folder.")] = None,
    object_store_memory: Annotated[
        int | None, typer.Option(help="Bytes of Ray's object store (basin needs little).")
    ] = None,
    resources: Annotated[
        str | None,
        typer.Option(help="Custom resources of the head (JSON), e.g. '{\"head\": 1}'."),
    ] = None,
    ray_arg: Annotated[
        list[str] | None,
        typer.Option(help="More `ray start` options, as is (repeat for several)."),
    ] = None,
    block: Annotated[
        bool, typer.Option(help="Stay in the foreground; Ctrl-C stops the head.")
    ] = False,
) -> None:
    """Start a Ray head (``ray start --head``) and print the BASIN_COMPUTE to use."""
    command = head_command(
        address, port, gcs_port, num_cpus, temp_dir, block, object_store_memory, resources, ray_arg
    )
    print(f"BASIN_COMPUTE=ray://{address}:{port}", flush=True)
    print(f"Join more nodes with: ray start --address={address}:{gcs_port}", flush=True)
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    os.execve(command[0], command, env)  # ray's own output, exit code and signals from here on
