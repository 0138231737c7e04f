"""``basin identity create|show|list|delete`` (user-assigned managed identities, as ``az identity``)."""

from __future__ import annotations

from typing import Annotated

import typer

from basin.cli import _context, _ids
from basin.cli._options import Group, Ids, Name, OptName, Output, Query, Tags, Yes
from basin.cli._output import OutputFormat, emit

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)


@app.command()
def create(
    name: Name,
    resource_group: Group = None,
    location: Annotated[str | None, typer.Option("--location", "-l")] = None,
    tags: Tags = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Create an identity; shows its id, principalId, clientId and tenantId."""
    ops = _context.client(resource_group).identities
    created = ops.begin_create(name, tags=_context.parse_tags(tags), location=location).result()
    emit(created.to_dict(), output, query)


@app.command()
def show(
    name: OptName = None,
    ids: Ids = None,
    resource_group: Group = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Show an identity."""

    def one(target: _ids.Target) -> object:
        return _context.client(target["group"]).identities.get(target["name"]).to_dict()

    found = _ids.targets(ids, "identity", group=resource_group, name=name)
    emit(_ids.each(found, one), output, query)


@app.command("list")
def list_(
    resource_group: Group = None, output: Output = OutputFormat.json, query: Query = None
) -> None:
    """List identities (of a group, or all)."""
    emit([i.to_dict() for i in _context.client(resource_group).identities.list()], output, query)


@app.command()
def delete(
    name: OptName = None, ids: Ids = None, resource_group: Group = None, yes: Yes = False
) -> None:
    """Delete an identity and its role assignments."""
    for target in _ids.targets(ids, "identity", group=resource_group, name=name):
        _context.client(target["group"]).identities.begin_delete(target["name"]).result()
