"""``basin configure --defaults group=RG workspace=WS`` (like ``az configure``)."""

from __future__ import annotations

from typing import Annotated

import typer

from basin.cli import _context
from basin.cli._options import Output, Query
from basin.cli._output import OutputFormat, emit


def configure(
    defaults: Annotated[
        list[str] | None,
        typer.Option(
            "--defaults", "-d", help="group=<name> and/or workspace=<name>; empty clears."
        ),
    ] = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Set (or show) the defaults used when -g / -w are left out."""
    values = _context.save_defaults(defaults) if defaults else _context.load_defaults()
    emit(values, output, query)
