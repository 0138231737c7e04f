"""``basin model create|show|list|download|archive|restore`` (as ``az ml model``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from basin.cli import _context
from basin.cli._options import File, Group, Output, Query, Set, Tags, Workspace
from basin.cli._output import OutputFormat, emit
from basin.entities import Model, ModelType, apply_overrides, parse_entity
from basin.loaders import load_model, resolve_local_path

app = typer.Typer(help="Models (versioned, in the workspace's storage).", no_args_is_help=True)

OptName = Annotated[str | None, typer.Option("--name", "-n", help="Model name.")]
Version = Annotated[str | None, typer.Option("--version", "-v", help="Version (default: next).")]
Label = Annotated[str | None, typer.Option("--label", "-l", help="'latest'.")]


@app.command()
def create(
    name: OptName = None,
    version: Version = None,
    path: Annotated[str | None, typer.Option("--path", "-p", help="Local file or folder.")] = None,
    type_: Annotated[ModelType | None, typer.Option("--type", "-t", help="Model type.")] = None,
    file: File = None,
    set_: Set = None,
    description: Annotated[str | None, typer.Option()] = None,
    tags: Tags = None,
    resource_group: Group = None,
    workspace_name: Workspace = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Register a model version (a local path is uploaded to the workspace's storage)."""
    data: dict[str, Any] = load_model(file).model_dump(exclude_none=True) if file else {}
    given = {
        "name": name,
        "version": version,
        "description": description,
        "tags": _context.parse_tags(tags),
    }
    data.update({k: v for k, v in given.items() if v is not None})
    if path is not None:
        data["path"] = resolve_local_path(path, Path.cwd())
    if type_ is not None:
        data["type"] = type_.value
    apply_overrides(data, set_)
    model = parse_entity(Model, data, source=f"model file '{file}'" if file else "model")
    client = _context.client(resource_group, workspace_name)
    emit(client.models.create_or_update(model).to_dict(), output, query)


@app.command()
def show(
    name: Annotated[str, typer.Option("--name", "-n")],
    version: Version = None,
    label: Label = None,
    resource_group: Group = None,
    workspace_name: Workspace = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Show a model version (or the latest)."""
    client = _context.client(resource_group, workspace_name)
    emit(client.models.get(name, version, label).to_dict(), output, query)


@app.command("list")
def list_(
    name: OptName = None,
    archived_only: Annotated[bool, typer.Option("--archived-only")] = False,
    include_archived: Annotated[bool, typer.Option("--include-archived")] = False,
    resource_group: Group = None,
    workspace_name: Workspace = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """List models (latest of each), or the versions of one."""
    client = _context.client(resource_group, workspace_name)
    found = client.models.list(name, archived_only=archived_only, include_archived=include_archived)
    emit([m.to_dict() for m in found], output, query)


@app.command()
def download(
    name: Annotated[str, typer.Option("--name", "-n")],
    version: Annotated[str, typer.Option("--version", "-v")],
    download_path: Annotated[Path, typer.Option("--download-path", "-p")] = Path("."),
    resource_group: Group = None,
    workspace_name: Workspace = None,
) -> None:
    """Download a model version's files into <download-path>/<name>/."""
    client = _context.client(resource_group, workspace_name)
    print(client.models.download(name, version, download_path))


@app.command()
def archive(
    name: Annotated[str, typer.Option("--name", "-n")],
    version: Version = None,
    resource_group: Group = None,
    workspace_name: Workspace = None,
) -> None:
    """Archive a version (or every version): hidden from lists and @latest."""
    _context.client(resource_group, workspace_name).models.archive(name, version)


@app.command()
def restore(
    name: Annotated[str, typer.Option("--name", "-n")],
    version: Version = None,
    resource_group: Group = None,
    workspace_name: Workspace = None,
) -> None:
    """Restore an archived version (or every version)."""
    _context.client(resource_group, workspace_name).models.restore(name, version)
