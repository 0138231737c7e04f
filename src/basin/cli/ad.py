"""``basin ad sp|user create|list|delete`` and ``basin ad sp credential reset``."""

from __future__ import annotations

from typing import Annotated

import typer

from basin.cli import _context
from basin.cli._options import Output, Query
from basin.cli._output import OutputFormat, emit

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)
DisplayName = Annotated[str, typer.Option("--display-name", help="Display name.")]
Id = Annotated[str, typer.Option("--id", help="Object id or app id.")]


def _kind_app(kind: str, help_text: str) -> typer.Typer:
    sub = typer.Typer(help=help_text, no_args_is_help=True, rich_markup_mode=None)

    @sub.command()
    def create(
        display_name: DisplayName, output: Output = OutputFormat.json, query: Query = None
    ) -> None:
        """Create one; its password (an API token) is shown this once only."""
        emit(
            _context.client().principals.create(display_name, principal_type=kind).to_dict(),
            output,
            query,
        )

    @sub.command("list")
    def list_(output: Output = OutputFormat.json, query: Query = None) -> None:
        """List them."""
        found = [
            p.to_dict() for p in _context.client().principals.list() if p.principal_type == kind
        ]
        emit(found, output, query)

    @sub.command()
    def delete(id_: Id) -> None:
        """Delete one, with its role assignments."""
        _context.client().principals.delete(id_)

    return sub


sp_app = _kind_app("ServicePrincipal", "Service principals.")
user_app = _kind_app("User", "Users.")
credential_app = typer.Typer(
    help="Service principal credentials.", no_args_is_help=True, rich_markup_mode=None
)
sp_app.add_typer(credential_app, name="credential")
app.add_typer(sp_app, name="sp")
app.add_typer(user_app, name="user")


@credential_app.command("reset")
def credential_reset(id_: Id, output: Output = OutputFormat.json, query: Query = None) -> None:
    """Replace the password; the old one stops working at once."""
    emit(_context.client().principals.reset_credential(id_).to_dict(), output, query)
