"""``basin configure --defaults group=RG workspace=WS`` (as ``az configure``) and ``basin config
get|set|unset`` (as ``az config``, over the same defaults)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from basin.cli import _context
from basin.cli._options import Output, Query
from basin.cli._output import OutputFormat, emit
from basin.errors import NotFoundError, ValidationError

config_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)


def configure(
    defaults: Annotated[
        list[str] | None,
        typer.Option(
            "--defaults", "-d", help="group=<name> and/or workspace=<name>; empty clears."
        ),
    ] = None,
    list_defaults: Annotated[
        bool, typer.Option("--list-defaults", "-l", help="List the defaults (as az configure -l).")
    ] = False,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Set the defaults used when -g / -w are left out (-l lists them, as az does)."""
    if defaults:
        _context.save_defaults(defaults)  # az prints nothing here
    if list_defaults:
        emit(_entries()["defaults"], output, query)
    elif not defaults:
        emit(_context.load_defaults(), output, query)


def _entries() -> dict[str, list[dict[str, Any]]]:
    source = str(_context.config_path())
    return {
        "defaults": [
            {"name": name, "source": source, "value": value}
            for name, value in _context.load_defaults().items()
        ]
    }


@config_app.command("get")
def config_get(
    key: Annotated[
        str | None, typer.Argument(help="section or section.name, e.g. defaults.group.")
    ] = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Show the configuration, a section of it, or one value (as az config get)."""
    entries = _entries()
    if key is None:
        emit(entries, output, query)
        return
    section, _, name = key.partition(".")
    if section not in entries:
        raise NotFoundError(f"Configuration section '{section}' is not set (known: defaults).")
    if not name:
        emit(entries[section], output, query)
        return
    for entry in entries[section]:
        if entry["name"] == name:
            emit(entry, output, query)
            return
    raise NotFoundError(f"Configuration '{key}' is not set.")


@config_app.command("set")
def config_set(
    pairs: Annotated[list[str], typer.Argument(help="defaults.group=<name> ...")],
) -> None:
    """Set values (as az config set defaults.group=rg defaults.workspace=ws)."""
    _context.save_defaults([_default(pair) for pair in pairs])


@config_app.command("unset")
def config_unset(
    keys: Annotated[list[str], typer.Argument(help="defaults.group ...")],
) -> None:
    """Remove values (as az config unset defaults.group)."""
    _context.save_defaults([_default(key + "=") for key in keys])


def _default(pair: str) -> str:
    section, dot, rest = pair.partition(".")
    if section != "defaults" or not dot:
        raise ValidationError(
            f"'{pair}': basin's configuration has the section 'defaults' only "
            "(defaults.group, defaults.workspace)."
        )
    return rest
