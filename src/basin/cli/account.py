"""``basin account show`` and ``basin account get-access-token`` (as ``az account``)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from basin.cli import _context
from basin.cli._options import Output, Query
from basin.cli._output import OutputFormat, emit

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)

#: az's user.type for basin's principal kinds.
_USER_TYPES = {"User": "user", "ServicePrincipal": "servicePrincipal"}


def az_shape(info: dict[str, Any]) -> dict[str, Any]:
    """``az account show``'s fields (id, tenantId, user{name,type}, ...), then basin's own."""
    caller = info.get("caller") or {}
    return {
        "environmentName": "basin",
        "homeTenantId": info.get("tenant_id"),
        "id": info.get("subscription_id"),
        "isDefault": True,
        "managedByTenants": [],
        "name": "basin",
        "state": "Enabled",
        "tenantId": info.get("tenant_id"),
        "user": {
            "name": caller.get("name"),
            "type": _USER_TYPES.get(str(caller.get("type") or caller.get("kind")), "user"),
        },
        **info,
    }


@app.command()
def show(output: Output = OutputFormat.json, query: Query = None) -> None:
    """Show the subscription, tenant and who you are (az's fields, then basin's)."""
    emit(az_shape(_context.client().info), output, query)


@app.command("get-access-token")
def get_access_token(
    resource: Annotated[
        str | None, typer.Option("--resource", help="Audience, e.g. https://storage.azure.com/.")
    ] = None,
    scope: Annotated[
        str | None, typer.Option("--scope", help="Scope, e.g. https://storage.azure.com/.default.")
    ] = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Get a JWT for a resource (default: the management API)."""
    audience = resource or (scope.removesuffix("/.default") if scope else None)
    emit(_context.client().principals.get_access_token(audience), output, query)
