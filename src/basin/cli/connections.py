"""``basin connection create|show|list|update|delete`` (as ``az ml connection``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from basin.cli import _context, _ids
from basin.cli._options import Group, Ids, OptName, Output, Query, Set, Workspace, Yes
from basin.cli._output import OutputFormat, emit

if TYPE_CHECKING:
    from basin.entities import WorkspaceConnection

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)

RequiredFile = Annotated[str, typer.Option("--file", "-f", help="Connection YAML.")]


def _from_file(file: str, set_: list[str] | None) -> WorkspaceConnection:
    from basin.entities import WorkspaceConnection, apply_overrides, parse_entity, read_yaml

    data: dict[str, Any] = apply_overrides(read_yaml(file), set_)
    return parse_entity(WorkspaceConnection, data, source=f"connection file '{file}'")


@app.command()
def create(
    file: RequiredFile,
    set_: Set = None,
    resource_group: Group = None,
    workspace_name: Workspace = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Create a connection (e.g. --set credentials.pat=<token> keeps the token out of the file)."""
    connection = _from_file(file, set_)
    client = _context.client(resource_group, workspace_name)
    emit(client.connections.create_or_update(connection).to_dict(), output, query)


@app.command()
def update(
    file: RequiredFile,
    set_: Set = None,
    resource_group: Group = None,
    workspace_name: Workspace = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Replace a connection from its file."""
    create(file, set_, resource_group, workspace_name, output, query)


@app.command()
def show(
    name: OptName = None,
    ids: Ids = None,
    resource_group: Group = None,
    workspace_name: Workspace = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Show a connection (never its secret)."""
    found = _ids.targets(
        ids, "connection", group=resource_group, workspace=workspace_name, name=name
    )

    def one(target: _ids.Target) -> object:
        client = _context.client(target["group"], target["workspace"])
        return client.connections.get(target["name"]).to_dict()

    emit(_ids.each(found, one), output, query)


@app.command("list")
def list_(
    type_: Annotated[str | None, typer.Option("--type", "-t", help="e.g. python_feed.")] = None,
    resource_group: Group = None,
    workspace_name: Workspace = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """List connections."""
    found = _context.client(resource_group, workspace_name).connections.list(type_)
    emit([c.to_dict() for c in found], output, query)


@app.command()
def delete(
    name: OptName = None,
    ids: Ids = None,
    resource_group: Group = None,
    workspace_name: Workspace = None,
    yes: Yes = False,
) -> None:
    """Delete a connection and its secret."""
    for target in _ids.targets(
        ids, "connection", group=resource_group, workspace=workspace_name, name=name
    ):
        _context.client(target["group"], target["workspace"]).connections.delete(target["name"])
