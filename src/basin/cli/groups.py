"""``basin group create|show|list|delete|update``."""

from __future__ import annotations

from typing import Annotated

import typer

from basin.cli import _context, _ids
from basin.cli._options import (
    Add,
    ForceString,
    Ids,
    NoWait,
    Output,
    Query,
    Remove,
    Set,
    Tags,
    Yes,
)
from basin.cli._output import OutputFormat, emit

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)

Location = Annotated[str | None, typer.Option("--location", "-l", help="Location.")]


def _name(name: str | None) -> str | None:
    # az group show/update take the group from `az configure --defaults group=...` too.
    return name or _context.load_defaults().get("group")


@app.command()
def create(
    name: Annotated[str, typer.Option("--name", "-n", "--resource-group", "-g", help="Name.")],
    location: Location = None,
    tags: Tags = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Create a resource group (or update the tags of an existing one)."""
    client = _context.client()
    group = client.resource_groups.create_or_update_data(name, location, _context.parse_tags(tags))
    emit(group, output, query)


@app.command()
def show(
    name: Annotated[
        str | None, typer.Option("--name", "-n", "--resource-group", "-g", help="Name.")
    ] = None,
    ids: Ids = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Show a resource group (default: the one set with basin configure)."""
    ops = _context.client().resource_groups
    found = _ids.targets(ids, "group", name=_name(name))
    emit(_ids.each(found, lambda t: ops.get_data(t["name"])), output, query)


@app.command("list")
def list_(output: Output = OutputFormat.json, query: Query = None) -> None:
    """List resource groups."""
    emit(_context.client().resource_groups.list_data(), output, query)


@app.command()
def update(
    name: Annotated[
        str | None, typer.Option("--name", "-n", "--resource-group", "-g", help="Name.")
    ] = None,
    ids: Ids = None,
    tags: Tags = None,
    set_: Set = None,
    add: Add = None,
    remove: Remove = None,
    force_string: ForceString = False,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Update a resource group's tags (--tags, or --set tags.a=1 / --remove tags.a)."""
    ops = _context.client().resource_groups

    def one(target: _ids.Target) -> object:
        current = ops.get_data(target["name"])
        if tags is not None:
            current["tags"] = _context.parse_tags(tags)
        current = _context.generic_update(current, force_string=force_string)
        return ops.create_or_update_data(
            target["name"], current.get("location"), current.get("tags") or {}
        )

    emit(_ids.each(_ids.targets(ids, "group", name=_name(name)), one), output, query)


@app.command()
def delete(
    name: Annotated[
        str | None, typer.Option("--name", "-n", "--resource-group", "-g", help="Name.")
    ] = None,
    ids: Ids = None,
    yes: Yes = False,
    no_wait: NoWait = False,
) -> None:
    """Delete a resource group and everything in it."""
    ops = _context.client().resource_groups
    for target in _ids.targets(ids, "group", name=name):
        ops.begin_delete(target["name"]).result()
