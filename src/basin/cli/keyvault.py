"""``basin keyvault create|show|list|delete|set-policy|delete-policy`` and
``basin keyvault secret set|show|list|list-versions|delete|list-deleted|show-deleted|recover|purge``,
as ``az keyvault``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from basin.cli import _context
from basin.cli._options import Group, Name, NoWait, Output, Query, Tags, Yes
from basin.cli._output import OutputFormat, emit
from basin.errors import ValidationError

app = typer.Typer(help="Key vaults and their secrets.", no_args_is_help=True)
secret_app = typer.Typer(help="A key vault's secrets.", no_args_is_help=True)
app.add_typer(secret_app, name="secret")

VaultName = Annotated[str, typer.Option("--vault-name", help="Name of the key vault.")]
SecretName = Annotated[str, typer.Option("--name", "-n", help="Name of the secret.")]
ObjectId = Annotated[str, typer.Option("--object-id", help="Object id of the principal.")]


def _bool(text: str, flag: str) -> bool:
    if text.lower() in ("true", "yes", "1"):
        return True
    if text.lower() in ("false", "no", "0"):
        return False
    raise ValidationError(f"{flag} takes true or false, not '{text}'.")


@app.command()
def create(
    name: Name,
    resource_group: Group = None,
    location: Annotated[str | None, typer.Option("--location", "-l")] = None,
    enable_rbac_authorization: Annotated[
        str,
        typer.Option(
            "--enable-rbac-authorization",
            help="true: data access by Azure roles (the default); false: by access policies.",
        ),
    ] = "true",
    retention_days: Annotated[
        int, typer.Option("--retention-days", help="Days a deleted secret stays recoverable.")
    ] = 90,
    tags: Tags = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Create a key vault (its data plane is https://<name>.vault.azure.net through basin env)."""
    vault = (
        _context.client(resource_group)
        .key_vaults.begin_create(
            name,
            tags=_context.parse_tags(tags),
            enable_rbac_authorization=_bool(
                enable_rbac_authorization, "--enable-rbac-authorization"
            ),
            retention_days=retention_days,
        )
        .result()
    )
    emit(vault.to_dict(), output, query)


@app.command()
def show(
    name: Name,
    resource_group: Group = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Show a key vault."""
    vault = _context.client().key_vaults.get(name, resource_group=resource_group)
    emit(vault.to_dict(), output, query)


@app.command("list")
def list_(
    resource_group: Group = None, output: Output = OutputFormat.json, query: Query = None
) -> None:
    """List key vaults (of a group, or all)."""
    vaults = _context.client(resource_group).key_vaults.list()
    emit([v.to_dict() for v in vaults], output, query)


@app.command()
def delete(
    name: Name, resource_group: Group = None, yes: Yes = False, no_wait: NoWait = False
) -> None:
    """Delete a key vault and its secrets (--no-wait accepted, as az: it is done at once)."""
    _context.client().key_vaults.begin_delete(name, resource_group=resource_group).result()


@app.command("set-policy")
def set_policy(
    name: Name,
    object_id: ObjectId,
    secret_permissions: Annotated[
        list[str], typer.Option("--secret-permissions", help="get, list, set, delete, ... or all.")
    ],
    resource_group: Group = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Give a principal secret permissions on a vault that uses access policies."""
    vault = _context.client().key_vaults.set_policy(
        name, object_id, secret_permissions, resource_group=resource_group
    )
    emit(vault.to_dict(), output, query)


@app.command("delete-policy")
def delete_policy(
    name: Name,
    object_id: ObjectId,
    resource_group: Group = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Remove a principal's access policy."""
    vault = _context.client().key_vaults.delete_policy(
        name, object_id, resource_group=resource_group
    )
    emit(vault.to_dict(), output, query)


@secret_app.command("set")
def secret_set(
    vault_name: VaultName,
    name: SecretName,
    value: Annotated[str | None, typer.Option("--value", help="The secret's value.")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Read the value from this file.")
    ] = None,
    content_type: Annotated[str | None, typer.Option("--content-type")] = None,
    disabled: Annotated[str, typer.Option("--disabled", help="true: not readable.")] = "false",
    tags: Tags = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Create a secret, or add a new version of it."""
    if (value is None) == (file is None):
        raise ValidationError("Give the secret's value with exactly one of --value and --file.")
    if file is not None:
        try:
            value = file.read_text()
        except OSError as exc:
            raise ValidationError(f"Cannot read {file}: {exc.strerror}.") from None
    assert value is not None
    shown = _context.client().vault_secrets.set(
        vault_name, name, value, content_type=content_type, tags=_context.parse_tags(tags),
        enabled=not _bool(disabled, "--disabled"),
    )  # fmt: skip
    emit(shown, output, query)


@secret_app.command("show")
def secret_show(
    vault_name: VaultName,
    name: SecretName,
    version: Annotated[str | None, typer.Option("--version", help="Default: the latest.")] = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Show a secret with its value."""
    emit(_context.client().vault_secrets.get(vault_name, name, version), output, query)


@secret_app.command("list")
def secret_list(
    vault_name: VaultName, output: Output = OutputFormat.json, query: Query = None
) -> None:
    """List a vault's secrets (without values)."""
    emit(_context.client().vault_secrets.list(vault_name), output, query)


@secret_app.command("list-versions")
def secret_list_versions(
    vault_name: VaultName, name: SecretName, output: Output = OutputFormat.json, query: Query = None
) -> None:
    """List a secret's versions (without values)."""
    emit(_context.client().vault_secrets.list_versions(vault_name, name), output, query)


@secret_app.command("delete")
def secret_delete(
    vault_name: VaultName, name: SecretName, output: Output = OutputFormat.json, query: Query = None
) -> None:
    """Delete a secret (recoverable for the vault's retention days)."""
    emit(_context.client().vault_secrets.delete(vault_name, name), output, query)


@secret_app.command("list-deleted")
def secret_list_deleted(
    vault_name: VaultName, output: Output = OutputFormat.json, query: Query = None
) -> None:
    """List deleted secrets that can still be recovered."""
    emit(_context.client().vault_secrets.list_deleted(vault_name), output, query)


@secret_app.command("show-deleted")
def secret_show_deleted(
    vault_name: VaultName, name: SecretName, output: Output = OutputFormat.json, query: Query = None
) -> None:
    """Show a deleted secret."""
    emit(_context.client().vault_secrets.get_deleted(vault_name, name), output, query)


@secret_app.command("recover")
def secret_recover(
    vault_name: VaultName, name: SecretName, output: Output = OutputFormat.json, query: Query = None
) -> None:
    """Recover a deleted secret."""
    emit(_context.client().vault_secrets.recover(vault_name, name), output, query)


@secret_app.command("purge")
def secret_purge(vault_name: VaultName, name: SecretName) -> None:
    """Delete a deleted secret for good."""
    _context.client().vault_secrets.purge(vault_name, name)
