"""``basin connection create|show|list|update|delete`` (as ``az ml connection``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from basin.cli import _context
from basin.cli._options import Group, Output, Query, Set, Workspace, Yes
from basin.cli._output import OutputFormat, emit

if TYPE_CHECKING:
    from basin.entities import WorkspaceConnection

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)

RequiredFile = Annotated[str, typer.Option("--file", "-f", help="Connection YAML.")]
Name = Annotated[str, typer.Option("--name", "-n", help="Connection name.")]


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
    name: Name,
    resource_group: Group = None,
    workspace_name: Workspace = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Show a connection (never its secret)."""
    emit(
        _context.client(resource_group, workspace_name).connections.get(name).to_dict(),
        output,
        query,
    )


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
    name: Name, resource_group: Group = None, workspace_name: Workspace = None, yes: Yes = False
) -> None:
    """Delete a connection and its secret."""
    _context.client(resource_group, workspace_name).connections.delete(name)
