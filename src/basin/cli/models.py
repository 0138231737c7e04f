"""``basin model create|show|list|download|archive|restore`` (as ``az ml model``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from basin.cli import _context, _progress
from basin.cli._assets import add_versioned_commands
from basin.cli._options import File, Group, Output, Query, Set, Tags, Workspace
from basin.cli._output import OutputFormat, emit

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)
add_versioned_commands(app, "models", "model")

OptName = Annotated[str | None, typer.Option("--name", "-n", help="Model name.")]
Version = Annotated[str | None, typer.Option("--version", "-v", help="Version (default: next).")]


@app.command()
def create(
    name: OptName = None,
    version: Version = None,
    path: Annotated[str | None, typer.Option("--path", "-p", help="Local file or folder.")] = None,
    type_: Annotated[
        str | None, typer.Option("--type", "-t", help="custom_model, mlflow_model, triton_model.")
    ] = None,
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
    from basin.entities import Model, apply_overrides, parse_entity
    from basin.loaders import load_model, resolve_local_path

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
        data["type"] = type_
    apply_overrides(data, set_)
    model = parse_entity(Model, data, source=f"model file '{file}'" if file else "model")
    client = _context.client(resource_group, workspace_name)
    with _progress.status(f"Uploading and registering model {model.name}"):
        created = client.models.create_or_update(model)
    emit(created.to_dict(), output, query)


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
