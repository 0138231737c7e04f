"""The commands every versioned asset has (``show``, ``list``, ``archive``, ``restore``)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from basin.cli import _context, _ids
from basin.cli._options import Group, Ids, Output, Query, Workspace
from basin.cli._output import OutputFormat, emit
from basin.errors import ValidationError

__all__ = ["add_versioned_commands"]

OptName = Annotated[str | None, typer.Option("--name", "-n", help="Name.")]
Version = Annotated[str | None, typer.Option("--version", "-v", help="Version.")]
Label = Annotated[str | None, typer.Option("--label", "-l", help="'latest'.")]
ArchivedOnly = Annotated[bool, typer.Option("--archived-only")]
IncludeArchived = Annotated[bool, typer.Option("--include-archived")]
Registry = Annotated[
    str | None,
    typer.Option(
        "--registry-name",
        "--registry",
        help="A registry instead of the workspace (environments: 'azureml', basin's curated).",
    ),
]


def shown(
    group: str,
    what: str,
    ids: list[str] | None,
    name: str | None,
    version: str | None,
    label: str | None,
    resource_group: str | None,
    workspace_name: str | None,
    registry: str | None = None,
) -> Any:
    """The version(s) ``show`` prints: by name and version (or label), or by ``--ids``; from a
    registry (``--registry-name azureml``) when one is named."""
    if registry is not None and group != "environments":
        raise ValidationError(f"basin has no {what} registries (only environments: azureml).")
    found = _ids.targets(
        ids, what, group=resource_group, workspace=workspace_name, name=name, version=version
    )

    def one(target: _ids.Target) -> dict[str, Any]:
        ops = getattr(_context.client(target["group"], target["workspace"], registry), group)
        return dict(ops.get(target["name"], target["version"], label).to_dict())

    return _ids.each(found, one)


def add_versioned_commands(
    app: typer.Typer, group: str, what: str, *, with_show: bool = True
) -> None:
    """Add the four commands over ``ml_client.<group>`` (``models``, ``environments``)."""

    def operations(
        resource_group: str | None, workspace_name: str | None, registry: str | None = None
    ) -> Any:
        if registry is not None and group != "environments":
            raise ValidationError(f"basin has no {what} registries (only environments: azureml).")
        return getattr(_context.client(resource_group, workspace_name, registry), group)

    def show(
        name: OptName = None,
        version: Version = None,
        label: Label = None,
        ids: Ids = None,
        registry_name: Registry = None,
        resource_group: Group = None,
        workspace_name: Workspace = None,
        output: Output = OutputFormat.json,
        query: Query = None,
    ) -> None:
        emit(
            shown(
                group,
                what,
                ids,
                name,
                version,
                label,
                resource_group,
                workspace_name,
                registry_name,
            ),
            output,
            query,
        )

    show.__doc__ = f"Show a {what} version (or the latest)."
    if with_show:
        app.command()(show)

    @app.command("list")
    def list_(
        name: OptName = None,
        archived_only: ArchivedOnly = False,
        include_archived: IncludeArchived = False,
        registry_name: Registry = None,
        resource_group: Group = None,
        workspace_name: Workspace = None,
        output: Output = OutputFormat.json,
        query: Query = None,
    ) -> None:
        found = operations(resource_group, workspace_name, registry_name).list(
            name, archived_only=archived_only, include_archived=include_archived
        )
        emit([item.to_dict() for item in found], output, query)

    list_.__doc__ = f"List {what}s (the latest of each), or the versions of one."

    @app.command()
    def archive(
        name: Annotated[str, typer.Option("--name", "-n", help="Name.")],
        version: Version = None,
        resource_group: Group = None,
        workspace_name: Workspace = None,
    ) -> None:
        operations(resource_group, workspace_name).archive(name, version)

    archive.__doc__ = "Archive a version (or every version): hidden from lists and @latest."

    @app.command()
    def restore(
        name: Annotated[str, typer.Option("--name", "-n", help="Name.")],
        version: Version = None,
        resource_group: Group = None,
        workspace_name: Workspace = None,
    ) -> None:
        operations(resource_group, workspace_name).restore(name, version)

    restore.__doc__ = "Restore an archived version (or every version)."
