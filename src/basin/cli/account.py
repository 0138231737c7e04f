"""``basin account show`` and ``basin account get-access-token`` (as ``az account``)."""

from __future__ import annotations

from typing import Annotated

import typer

from basin.cli import _context
from basin.cli._options import Output, Query
from basin.cli._output import OutputFormat, emit

app = typer.Typer(help="The installation and the signed-in principal.", no_args_is_help=True)


@app.command()
def show(output: Output = OutputFormat.json, query: Query = None) -> None:
    """Show the subscription, tenant and who you are."""
    emit(_context.client().info, output, query)


@app.command("get-access-token")
def get_access_token(
    resource: Annotated[
        str | None, typer.Option("--resource", help="Audience, e.g. https://storage.azure.com/.")
    ] = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Get a JWT for a resource (default: the management API)."""
    emit(_context.client().principals.get_access_token(resource), output, query)
