"""``basin ad sp|user create|list|delete``, ``basin ad sp credential reset`` and
``basin ad sp create-for-rbac``."""

from __future__ import annotations

from typing import Annotated

import typer

from basin.cli import _context
from basin.cli._options import Output, Query
from basin.cli._output import OutputFormat, emit
from basin.errors import BasinError, ValidationError

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


@sp_app.command("create-for-rbac")
def create_for_rbac(
    name: Annotated[str, typer.Option("--name", "-n", help="Display name of the new principal.")],
    role: Annotated[
        str | None, typer.Option("--role", help="Role to assign at each scope (e.g. Contributor).")
    ] = None,
    scopes: Annotated[
        list[str] | None,
        typer.Option("--scopes", help="Resource ids to assign the role at (one or more)."),
    ] = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Create a service principal and give it a role, as az does; prints appId, displayName,
    password (shown this once only) and tenant."""
    if role and not scopes:
        raise ValidationError("--scopes is required with --role (the resource id to assign it at).")
    if scopes and not role:
        raise ValidationError("--role is required with --scopes (e.g. --role Contributor).")
    client = _context.client()
    created = client.principals.create(name, principal_type="ServicePrincipal")
    try:
        for scope in scopes or ():
            assert role is not None
            client.role_assignments.create(
                created.id, role, scope, assignee_principal_type="ServicePrincipal"
            )
    except BasinError:
        client.principals.delete(created.id)  # a bad role or scope leaves nothing behind
        raise
    shown = {
        "appId": created.app_id,
        "displayName": created.display_name,
        "password": created.password,
        "tenant": created.tenant,
    }
    emit(shown, output, query)
