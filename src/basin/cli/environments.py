"""``basin environment create|show|list|archive|restore|show-build|get-logs|upload-wheel``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from basin.cli import _context, _progress
from basin.cli._assets import OptName as OptAssetName
from basin.cli._assets import Registry, add_versioned_commands, shown
from basin.cli._options import File, Group, Ids, NoWait, Output, Query, Set, Tags, Workspace
from basin.cli._output import OutputFormat, emit
from basin.errors import BuildFailedError

if TYPE_CHECKING:
    from basin.entities import Environment
    from basin.sdk import MLClient

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)
add_versioned_commands(app, "environments", "environment", with_show=False)

OptName = Annotated[str | None, typer.Option("--name", "-n", help="Environment name.")]
Version = Annotated[str | None, typer.Option("--version", "-v", help="Version (default: next).")]
Name = Annotated[str, typer.Option("--name", "-n", help="Environment name.")]


def _wait(client: MLClient, env: Environment) -> Environment:
    """Wait for the build to end, its progress on stderr (on a terminal only)."""
    from basin.entities import EnvironmentBuildState

    assert env.name and env.version
    started = time.monotonic()
    with _progress.status(f"Building environment {env.name}:{env.version} ...") as status:
        while env.build_state not in (
            EnvironmentBuildState.SUCCEEDED,
            EnvironmentBuildState.FAILED,
        ):
            time.sleep(0.5)
            env = client.environments.get(env.name, env.version)
            elapsed = time.monotonic() - started
            step = f", {env.build_message}" if env.build_message else ""
            status.update(
                f"Building environment {env.name}:{env.version}: {env.build_state}{step} "
                f"({elapsed:.0f} s)"
            )
    if env.build_state == EnvironmentBuildState.FAILED:
        raise BuildFailedError(
            f"{env.build_message or 'The build failed.'} (full log: basin environment get-logs -n {env.name} -v {env.version})"
        )
    return env


@app.command()
def create(
    name: OptName = None,
    version: Version = None,
    file: File = None,
    set_: Set = None,
    conda_file: Annotated[
        Path | None, typer.Option("--conda-file", "-c", help="Conda YAML.")
    ] = None,
    image: Annotated[
        str | None, typer.Option("--image", "-i", help="Base, e.g. basin:sklearn.")
    ] = None,
    description: Annotated[str | None, typer.Option()] = None,
    tags: Tags = None,
    no_wait: NoWait = False,
    resource_group: Group = None,
    workspace_name: Workspace = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Register an environment version and build it (progress on stderr unless --no-wait)."""
    from basin.entities import Environment, apply_overrides, parse_entity
    from basin.loaders import load_environment, read_conda_file

    data: dict[str, Any] = load_environment(file).model_dump(exclude_none=True) if file else {}
    given = {
        "name": name,
        "version": version,
        "image": image,
        "description": description,
        "tags": _context.parse_tags(tags),
    }
    data.update({k: v for k, v in given.items() if v is not None})
    if conda_file is not None:
        data["conda_file"] = read_conda_file(str(conda_file), Path.cwd())
    apply_overrides(data, set_)
    env = parse_entity(
        Environment, data, source=f"environment file '{file}'" if file else "environment"
    )
    client = _context.client(resource_group, workspace_name)
    created = client.environments.create_or_update(env)
    if no_wait:
        return
    emit(_without_lock(_wait(client, created).to_dict(), False), output, query)


def _without_lock(data: dict[str, Any], show_lock: bool) -> dict[str, Any]:
    """The resolved lock is long: shown only when asked for (--show-lock, or show-build)."""
    if show_lock:
        return data
    return {k: v for k, v in data.items() if k != "lock"}


@app.command()
def show(
    name: OptAssetName = None,
    version: Version = None,
    label: Annotated[str | None, typer.Option("--label", "-l", help="'latest'.")] = None,
    ids: Ids = None,
    registry_name: Registry = None,
    show_lock: Annotated[
        bool, typer.Option("--show-lock", help="Include the resolved lock file.")
    ] = False,
    resource_group: Group = None,
    workspace_name: Workspace = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Show an environment version (or the latest); --show-lock adds its resolved lock."""
    found = shown(
        "environments",
        "environment",
        ids,
        name,
        version,
        label,
        resource_group,
        workspace_name,
        registry_name,
    )
    items = found if isinstance(found, list) else [found]
    trimmed = [_without_lock(item, show_lock) for item in items]
    emit(trimmed if isinstance(found, list) else trimmed[0], output, query)


@app.command("show-build")
def show_build(
    name: Name,
    version: Version = None,
    resource_group: Group = None,
    workspace_name: Workspace = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Show a version's build: state, message, Python and the resolved lock."""
    env = _context.client(resource_group, workspace_name).environments.get(name, version)
    keys = (
        "name",
        "version",
        "build_state",
        "build_message",
        "build_key",
        "python_version",
        "lock",
        "notes",
    )
    emit({k: v for k, v in env.to_dict().items() if k in keys}, output, query)


@app.command("get-logs")
def get_logs(
    name: Name,
    version: Annotated[str, typer.Option("--version", "-v")],
    resource_group: Group = None,
    workspace_name: Workspace = None,
) -> None:
    """Print a version's build log (what uv printed, secrets redacted)."""
    print(
        _context.client(resource_group, workspace_name).environments.get_logs(name, version), end=""
    )


@app.command("upload-wheel")
def upload_wheel(
    file: Annotated[Path, typer.Option("--file", "-f", help="The .whl file.")],
    resource_group: Group = None,
    workspace_name: Workspace = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Upload a private wheel; prints the URL to put in a pip list (workspace-readable only)."""
    client = _context.client(resource_group, workspace_name)
    url = client.environments.add_private_pip_wheel(file)
    emit({"url": url, "index_url": client.environments.package_index_url()}, output, query)
