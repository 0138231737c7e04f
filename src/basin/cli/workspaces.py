"""``basin workspace create|show|list|update|delete|recover|list-keys|sync-keys``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from basin.cli import _context, _ids
from basin.cli._options import (
    Add,
    File,
    ForceString,
    Group,
    Ids,
    NoWait,
    Output,
    Query,
    Remove,
    Set,
    Tags,
    Yes,
    flag_params,
)
from basin.cli._output import OutputFormat, emit
from basin.errors import ValidationError

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)

OptionalName = Annotated[
    str | None, typer.Option("--name", "-n", "--workspace-name", "-w", help="Workspace name.")
]
Text = Annotated[str | None, typer.Option()]
Access = Annotated[
    str | None,
    typer.Option("--public-network-access", help="Enabled or Disabled."),
]


def _access(value: str | None) -> str | None:
    if value is None:
        return None
    for choice in ("Enabled", "Disabled"):
        if value.lower() == choice.lower():
            return choice
    raise ValidationError(f"--public-network-access takes Enabled or Disabled, not '{value}'.")


def _targets(ids: list[str] | None, group: str | None, name: str | None) -> list[_ids.Target]:
    # Without -n the workspace comes from `basin configure --defaults workspace=...`.
    return _ids.targets(ids, "workspace", required=(), group=group, name=name)


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
    no_wait: NoWait = False,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Create a workspace and the dependent resources it is not given (YAML: az ml's schema)."""
    from basin.entities import apply_params
    from basin.loaders import load_workspace, parse_workspace

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
        public_network_access=_access(public_network_access),
    )
    if file is not None:
        workspace = load_workspace(file, params_override=params)
    else:
        workspace = parse_workspace(apply_params({}, params))
    client = _context.client(resource_group)
    workspace.resource_group = client.resource_group_name
    poller = client.workspaces.begin_create(workspace)
    if not no_wait:
        emit(poller.result().to_dict(), output, query)


@app.command()
def show(
    name: OptionalName = None,
    ids: Ids = None,
    resource_group: Group = None,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Show a workspace."""

    def one(target: _ids.Target) -> object:
        client = _context.client(target["group"], target["name"])
        return client.workspaces.get(target["name"]).to_dict()

    emit(_ids.each(_targets(ids, resource_group, name), one), output, query)


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
    ids: Ids = None,
    resource_group: Group = None,
    file: File = None,
    set_: Set = None,
    add: Add = None,
    remove: Remove = None,
    force_string: ForceString = False,
    display_name: Text = None,
    description: Text = None,
    tags: Tags = None,
    public_network_access: Access = None,
    image_build_compute: Text = None,
    no_wait: NoWait = False,
    output: Output = OutputFormat.json,
    query: Query = None,
) -> None:
    """Update a workspace's description, display name, tags or network access (-f, flags,
    then --set/--add/--remove on what it is now)."""
    from basin.entities import read_yaml

    def one(target: _ids.Target) -> object:
        client = _context.client(target["group"], target["name"])
        current = client.workspaces.get(target["name"]).to_dict()
        if file:
            current.update(read_yaml(file))
        _set_if(
            current,
            display_name=display_name,
            description=description,
            tags=_context.parse_tags(tags),
            public_network_access=_access(public_network_access),
            image_build_compute=image_build_compute,
        )
        current = _context.generic_update(current, force_string=force_string)
        if target["name"]:
            current["name"] = target["name"]
        return client.workspaces.begin_update(current).result().to_dict()

    result = _ids.each(_targets(ids, resource_group, name), one)
    if not no_wait:
        emit(result, output, query)


@app.command()
def delete(
    name: OptionalName = None,
    ids: Ids = None,
    resource_group: Group = None,
    permanently_delete: Annotated[
        bool, typer.Option("--permanently-delete", help="Purge now instead of a soft delete.")
    ] = False,
    all_resources: Annotated[
        bool,
        typer.Option("--all-resources", help="Refused: basin keeps the dependent resources."),
    ] = False,
    yes: Yes = False,
    no_wait: NoWait = False,
) -> None:
    """Delete a workspace (soft delete; its dependent resources are kept)."""
    if all_resources:
        raise ValidationError(
            "--all-resources is not supported: basin never deletes a workspace's dependent "
            "resources with it; delete them with their own commands."
        )
    for target in _targets(ids, resource_group, name):
        client = _context.client(target["group"], target["name"])
        poller = client.workspaces.begin_delete(
            target["name"], permanently_delete=permanently_delete
        )
        if not no_wait:
            poller.result()


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
