"""The routes every versioned asset (models, environments) has: list, archive, restore."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import APIRouter, Request, Response

from basin.entities import Entity
from basin.server.routes._common import listing, platform_for, workspace_for
from basin.services.platform import Platform

__all__ = ["add_versioned_routes"]

ListFn = Callable[..., Sequence[Entity]]
ArchiveFn = Callable[[Platform, str, str, str, str | None, bool], None]


def add_versioned_routes(
    router: APIRouter, collection: str, list_assets: ListFn, set_archived: ArchiveFn
) -> None:
    """``GET {collection}`` (latest of each), ``GET …/{name}/versions`` and
    ``POST …/{name}/versions/{version}/archive|restore`` (version ``all`` for every one)."""
    versions = collection + "/{name}/versions"

    @router.get(collection)
    def list_latest(
        request: Request,
        subscription_id: str,
        group: str,
        workspace: str,
        archived_only: bool = False,
        include_archived: bool = False,
    ) -> dict[str, Any]:
        workspace_for(request, subscription_id, group, workspace)
        platform = platform_for(request, subscription_id)
        return listing(
            list_assets(
                platform,
                group,
                workspace,
                archived_only=archived_only,
                include_archived=include_archived,
            )
        )

    @router.get(versions)
    def list_versions(
        request: Request,
        subscription_id: str,
        group: str,
        workspace: str,
        name: str,
        archived_only: bool = False,
        include_archived: bool = False,
    ) -> dict[str, Any]:
        workspace_for(request, subscription_id, group, workspace)
        platform = platform_for(request, subscription_id)
        found = list_assets(
            platform,
            group,
            workspace,
            name,
            archived_only=archived_only,
            include_archived=include_archived,
        )
        return listing(found)

    for action, archived in (("archive", True), ("restore", False)):

        def change(
            request: Request,
            subscription_id: str,
            group: str,
            workspace: str,
            name: str,
            version: str,
            _archived: bool = archived,
        ) -> Response:
            workspace_for(request, subscription_id, group, workspace)
            which = None if version == "all" else version
            set_archived(
                platform_for(request, subscription_id), group, workspace, name, which, _archived
            )
            return Response(status_code=200)

        router.add_api_route(
            versions + "/{version}/" + action, change, methods=["POST"], name=f"{action}_version"
        )
