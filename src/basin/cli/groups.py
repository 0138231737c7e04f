"""``basin group create|show|list|delete``."""

from __future__ import annotations

from typing import Annotated

import typer

from basin.cli import _context
from basin.cli._options import Name, Output, Query, Tags, Yes
from basin.cli._output import OutputFormat, emit

app = typer.Typer(help="Resource groups.", no_args_is_help=True)

Location = Annotated[str | None, typer.Option("--location", "-l", help="Location.")]


@app.command()
def create(
    name: Name,
    location: Location = None,
    tags: Tags = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Create a resource group (or update the tags of an existing one)."""
    client = _context.client()
    group = client.resource_groups.create_or_update(name, location, _context.parse_tags(tags))
    emit(group.to_dict(), output, query)


@app.command()
def show(name: Name, output: Output = OutputFormat.json, query: Query = None) -> None:
    """Show a resource group."""
    emit(_context.client().resource_groups.get(name).to_dict(), output, query)


@app.command("list")
def list_(output: Output = OutputFormat.json, query: Query = None) -> None:
    """List resource groups."""
    emit([g.to_dict() for g in _context.client().resource_groups.list()], output, query)


@app.command()
def delete(name: Name, yes: Yes = False) -> None:
    """Delete a resource group and everything in it."""
    _context.client().resource_groups.begin_delete(name).result()
