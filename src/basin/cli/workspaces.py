"""``basin workspace create|show|list|update|delete|recover|list-keys|sync-keys``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from basin.cli import _context
from basin.cli._options import File, Group, Output, Query, Set, Tags, Yes, flag_params
from basin.cli._output import OutputFormat, emit
from basin.entities import (
    PublicNetworkAccess,
    apply_overrides,
    apply_params,
    read_yaml,
)
from basin.loaders import load_workspace, parse_workspace

app = typer.Typer(help="Azure ML workspaces.", no_args_is_help=True)

OptionalName = Annotated[str | None, typer.Option("--name", "-n", help="Workspace name.")]
Text = Annotated[str | None, typer.Option()]
Access = Annotated[
    PublicNetworkAccess | None,
    typer.Option("--public-network-access", case_sensitive=False, help="Enabled or Disabled."),
]


def _set_if(data: dict[str, Any], **fields: Any) -> dict[str, Any]:
    data.update({k: v for k, v in fields.items() if v is not None})
    return data


@app.command()
def create(
    name: OptionalName = None,
    resource_group: Group = None,
    file: File = None,
    set_: Set = None,
    location: Annotated[str | None, typer.Option("--location", "-l")] = None,
    display_name: Text = None,
    description: Text = None,
    tags: Tags = None,
    storage_account: Text = None,
    container_registry: Text = None,
    key_vault: Text = None,
    application_insights: Text = None,
    public_network_access: Access = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Create a workspace and the dependent resources it is not given (YAML: az ml's schema)."""
    params = flag_params(
        name,
        set_,
        location=location,
        display_name=display_name,
        description=description,
        tags=_context.parse_tags(tags),
        storage_account=storage_account,
        container_registry=container_registry,
        key_vault=key_vault,
        application_insights=application_insights,
        public_network_access=public_network_access.value if public_network_access else None,
    )
    if file is not None:
        workspace = load_workspace(file, params_override=params)
    else:
        workspace = parse_workspace(apply_params({}, params))
    client = _context.client(resource_group)
    workspace.resource_group = client.resource_group_name
    emit(client.workspaces.begin_create(workspace).result().to_dict(), output, query)


@app.command()
def show(
    name: OptionalName = None,
    resource_group: Group = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Show a workspace."""
    client = _context.client(resource_group, name)
    emit(client.workspaces.get(name).to_dict(), output, query)


@app.command("list")
def list_(
    resource_group: Group = None,
    deleted: Annotated[bool, typer.Option("--deleted", help="List soft-deleted ones.")] = False,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """List workspaces (of a group, or of the whole installation without -g)."""
    client = _context.client(resource_group)
    scope = "resource_group" if client.resource_group_name else "subscription"
    emit([w.to_dict() for w in client.workspaces.list(scope=scope, deleted=deleted)], output, query)


@app.command()
def update(
    name: OptionalName = None,
    resource_group: Group = None,
    file: File = None,
    set_: Set = None,
    display_name: Text = None,
    description: Text = None,
    tags: Tags = None,
    public_network_access: Access = None,
    image_build_compute: Text = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Update a workspace's description, display name, tags or network access."""
    patch: dict[str, Any] = read_yaml(file) if file else {}
    _set_if(
        patch,
        display_name=display_name,
        description=description,
        tags=_context.parse_tags(tags),
        public_network_access=public_network_access.value if public_network_access else None,
        image_build_compute=image_build_compute,
    )
    apply_overrides(patch, set_)
    if name:
        patch["name"] = name
    client = _context.client(resource_group, name)
    emit(client.workspaces.begin_update(patch).result().to_dict(), output, query)


@app.command()
def delete(
    name: OptionalName = None,
    resource_group: Group = None,
    permanently_delete: Annotated[
        bool, typer.Option("--permanently-delete", help="Purge now instead of a soft delete.")
    ] = False,
    yes: Yes = False,
) -> None:
    """Delete a workspace (soft delete; its dependent resources are kept)."""
    client = _context.client(resource_group, name)
    client.workspaces.begin_delete(name, permanently_delete=permanently_delete).result()


@app.command()
def recover(
    name: OptionalName = None,
    resource_group: Group = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Bring back a soft-deleted workspace."""
    client = _context.client(resource_group, name)
    emit(client.workspaces.begin_recover(name).result().to_dict(), output, query)


@app.command("list-keys")
def list_keys(
    name: OptionalName = None,
    resource_group: Group = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Show the keys the workspace holds for its dependent resources."""
    client = _context.client(resource_group, name)
    emit(client.workspaces.get_keys(name).to_dict(), output, query)


@app.command("sync-keys")
def sync_keys(
    name: OptionalName = None,
    resource_group: Group = None,
    output: Output = OutputFormat.none,
    query: Query = None,
) -> None:
    """Re-read the current keys of the dependent resources (after a key was renewed)."""
    client = _context.client(resource_group, name)
    emit(client.workspaces.begin_sync_keys(name).result().to_dict(), output, query)
