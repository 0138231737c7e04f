"""``basin storage account create|show|list|delete`` and ``basin storage account keys list|renew``."""

from __future__ import annotations

from typing import Annotated

import typer

from basin.cli import _context, blobs
from basin.cli._options import Group, Name, Output, Query, Tags, Yes
from basin.cli._output import OutputFormat, emit

app = typer.Typer(help="Storage accounts, containers and blobs.", no_args_is_help=True)
account_app = typer.Typer(help="Storage accounts.", no_args_is_help=True)
keys_app = typer.Typer(help="Storage account keys.", no_args_is_help=True)
app.add_typer(account_app, name="account")
account_app.add_typer(keys_app, name="keys")
app.add_typer(blobs.container_app, name="container")
app.add_typer(blobs.blob_app, name="blob")

AccountName = Annotated[str, typer.Option("--account-name", "--name", "-n", help="Account name.")]


@account_app.command()
def create(
    name: Name,
    resource_group: Group = None,
    location: Annotated[str | None, typer.Option("--location", "-l")] = None,
    tags: Tags = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Create a storage account (its blob endpoint is primaryEndpoints.blob)."""
    client = _context.client(resource_group)
    account = client.storage_accounts.begin_create(name, tags=_context.parse_tags(tags)).result()
    emit(account.to_dict(), output, query)


@account_app.command()
def show(
    name: Name,
    resource_group: Group = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Show a storage account."""
    emit(_context.client(resource_group).storage_accounts.get(name).to_dict(), output, query)


@account_app.command("list")
def list_(
    resource_group: Group = None, output: Output = OutputFormat.json, query: Query = None
) -> None:
    """List storage accounts (of a group, or all)."""
    accounts = _context.client(resource_group).storage_accounts.list()
    emit([a.to_dict() for a in accounts], output, query)


@account_app.command()
def delete(name: Name, resource_group: Group = None, yes: Yes = False) -> None:
    """Delete a storage account."""
    _context.client(resource_group).storage_accounts.begin_delete(name).result()


@keys_app.command("list")
def keys_list(
    name: AccountName,
    resource_group: Group = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """List the account's two keys."""
    emit(_context.client(resource_group).storage_accounts.list_keys(name), output, query)


@keys_app.command("renew")
def keys_renew(
    name: AccountName,
    key: Annotated[str, typer.Option("--key", help="key1 or key2.")],
    resource_group: Group = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Replace one of the account's keys; the old value stops working at once."""
    emit(_context.client(resource_group).storage_accounts.regenerate_key(name, key), output, query)
