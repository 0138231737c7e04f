"""``basin account show`` and ``basin account get-access-token`` (as ``az account``)."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

import typer

from basin.cli import _context
from basin.cli._options import Output, Query
from basin.cli._output import OutputFormat, emit
from basin.errors import ValidationError

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
    tenant: Annotated[
        str | None, typer.Option("--tenant", "-t", help="basin's tenant (there is one).")
    ] = None,
    subscription: Annotated[
        str | None, typer.Option("--subscription", help="basin's subscription (there is one).")
    ] = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Get a JWT for a resource (default: the management API), in az's shape.

    azure-identity's AzureCliCredential runs ``az account get-access-token --resource R
    [--tenant T]`` and reads accessToken with expires_on or expiresOn, so a notebook using it
    gets basin's tokens where ``az`` is basin.
    """
    client = _context.client()
    if tenant or subscription:  # one call more, only then
        _check_account(client.info, tenant, subscription)
    audience = resource or (scope.removesuffix("/.default") if scope else None)
    issued = dict(client.principals.get_access_token(audience))
    if "expires_on" in issued:  # az's local time too, for older readers of it
        expires = datetime.datetime.fromtimestamp(int(issued["expires_on"]))
        issued.setdefault("expiresOn", expires.strftime("%Y-%m-%d %H:%M:%S.%f"))
    emit(issued, output, query)


def _check_account(info: dict[str, Any], tenant: str | None, subscription: str | None) -> None:
    """A tenant or subscription other than basin's is refused, as Entra refuses a foreign one."""
    ours = str(info.get("tenant_id") or "")
    if tenant and tenant.lower() not in (ours.lower(), "common", "organizations"):
        raise ValidationError(
            f"Tenant '{tenant}' is not this basin installation's; its tenant is '{ours}' "
            "(leave --tenant out, or set AZURE_TENANT_ID to it)."
        )
    ours = str(info.get("subscription_id") or "")
    if subscription and subscription.lower() not in (ours.lower(), "basin"):
        raise ValidationError(
            f"Subscription '{subscription}' is not this basin installation's; its subscription "
            f"is '{ours}' (leave --subscription out)."
        )
