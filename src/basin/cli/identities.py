"""``basin identity create|show|list|delete`` (user-assigned managed identities, as ``az identity``)."""

from __future__ import annotations

import typer

from basin.cli import _context
from basin.cli._options import Group, Name, Output, Query, Tags, Yes
from basin.cli._output import OutputFormat, emit

app = typer.Typer(help="User-assigned managed identities.", no_args_is_help=True)


@app.command()
def create(
    name: Name,
    resource_group: Group = None,
    tags: Tags = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Create an identity; shows its id, principalId, clientId and tenantId."""
    ops = _context.client(resource_group).identities
    emit(ops.begin_create(name, tags=_context.parse_tags(tags)).result().to_dict(), output, query)


@app.command()
def show(
    name: Name,
    resource_group: Group = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Show an identity."""
    emit(_context.client(resource_group).identities.get(name).to_dict(), output, query)


@app.command("list")
def list_(
    resource_group: Group = None, output: Output = OutputFormat.json, query: Query = None
) -> None:
    """List identities (of a group, or all)."""
    emit([i.to_dict() for i in _context.client(resource_group).identities.list()], output, query)


@app.command()
def delete(name: Name, resource_group: Group = None, yes: Yes = False) -> None:
    """Delete an identity and its role assignments."""
    _context.client(resource_group).identities.begin_delete(name).result()
