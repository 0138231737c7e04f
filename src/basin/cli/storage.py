"""``basin storage account create|show|list|delete`` and ``basin storage account keys list|renew``."""

from __future__ import annotations

from typing import Annotated

import typer

from basin.cli import _context, _ids, blobs
from basin.cli._options import Group, Ids, NoWait, OptName, Output, Query, Tags, Yes
from basin.cli._output import OutputFormat, emit

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)
account_app = typer.Typer(help="Storage accounts.", no_args_is_help=True, rich_markup_mode=None)
keys_app = typer.Typer(help="Storage account keys.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(account_app, name="account")
account_app.add_typer(keys_app, name="keys")
app.add_typer(blobs.container_app, name="container")
app.add_typer(blobs.blob_app, name="blob")

AccountName = Annotated[str, typer.Option("--account-name", "--name", "-n", help="Account name.")]


def _targets(ids: list[str] | None, group: str | None, name: str | None) -> list[_ids.Target]:
    return _ids.targets(ids, "storage account", group=group, name=name)


@account_app.command()
def create(
    name: Annotated[str, typer.Option("--name", "-n", help="Account name.")],
    resource_group: Group = None,
    location: Annotated[str | None, typer.Option("--location", "-l")] = None,
    sku: Annotated[str | None, typer.Option("--sku", help="Accepted, as az (one kind).")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="Accepted, as az (one kind).")] = None,
    tags: Tags = None,
    no_wait: NoWait = False,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Create a storage account (its blob endpoint is primaryEndpoints.blob)."""
    client = _context.client(resource_group)
    poller = client.storage_accounts.begin_create(
        name, tags=_context.parse_tags(tags), location=location
    )
    if not no_wait:
        emit(poller.result().to_dict(), output, query)


@account_app.command()
def show(
    name: OptName = None,
    ids: Ids = None,
    resource_group: Group = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Show a storage account."""

    def one(target: _ids.Target) -> object:
        ops = _context.client(target["group"]).storage_accounts
        return ops.get(target["name"]).to_dict()

    emit(_ids.each(_targets(ids, resource_group, name), one), output, query)


@account_app.command("list")
def list_(
    resource_group: Group = None, output: Output = OutputFormat.json, query: Query = None
) -> None:
    """List storage accounts (of a group, or all)."""
    accounts = _context.client(resource_group).storage_accounts.list()
    emit([a.to_dict() for a in accounts], output, query)


@account_app.command()
def delete(
    name: OptName = None,
    ids: Ids = None,
    resource_group: Group = None,
    yes: Yes = False,
    no_wait: NoWait = False,
) -> None:
    """Delete a storage account."""
    for target in _targets(ids, resource_group, name):
        _context.client(target["group"]).storage_accounts.begin_delete(target["name"]).result()


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
    key: Annotated[str, typer.Option("--key", help="key1 or key2 (primary or secondary).")],
    resource_group: Group = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Replace one of the account's keys; the old value stops working at once."""
    emit(_context.client(resource_group).storage_accounts.regenerate_key(name, key), output, query)
