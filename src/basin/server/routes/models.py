"""``…/workspaces/{workspace}/models[/{name}/versions[/{version}[/action]]]``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import StreamingResponse

from basin.archive import tar_members
from basin.entities import Model, parse_entity
from basin.server.routes._assets import add_versioned_routes
from basin.server.routes._common import WORKSPACE, platform_for, workspace_for
from basin.services import models

router = APIRouter()

MODELS = WORKSPACE + "/models"
VERSIONS = MODELS + "/{name}/versions"
ONE = VERSIONS + "/{version}"

add_versioned_routes(router, MODELS, models.list_models, models.set_archived)


@router.put(VERSIONS, status_code=201)
def create_next(
    request: Request,
    subscription_id: str,
    group: str,
    workspace: str,
    name: str,
    body: dict[str, Any] = Body(),
) -> dict[str, Any]:
    """Register the next version (the number is chosen by the server)."""
    workspace_for(request, subscription_id, group, workspace)
    model = parse_entity(Model, {**body, "name": name, "version": None}, source="model")
    return models.create(platform_for(request, subscription_id), group, workspace, model).to_dict()


@router.put(ONE, status_code=201)
def create(
    request: Request,
    subscription_id: str,
    group: str,
    workspace: str,
    name: str,
    version: str,
    body: dict[str, Any] = Body(),
) -> dict[str, Any]:
    workspace_for(request, subscription_id, group, workspace)
    model = parse_entity(Model, {**body, "name": name, "version": version}, source="model")
    return models.create(platform_for(request, subscription_id), group, workspace, model).to_dict()


@router.get(ONE)
def show(
    request: Request, subscription_id: str, group: str, workspace: str, name: str, version: str
) -> dict[str, Any]:
    workspace_for(request, subscription_id, group, workspace)
    platform = platform_for(request, subscription_id)
    if version == "latest":
        return models.get(platform, group, workspace, name, label="latest").to_dict()
    return models.get(platform, group, workspace, name, version).to_dict()


@router.get(ONE + "/content")
def download(
    request: Request, subscription_id: str, group: str, workspace: str, name: str, version: str
) -> StreamingResponse:
    """The model's files as an uncompressed tar (paths keep the uploaded file or folder name)."""
    workspace_for(request, subscription_id, group, workspace)
    platform = platform_for(request, subscription_id)
    files = models.open_files(platform, group, workspace, name, version)

    def members() -> Iterator[tuple[str, int, Any]]:
        for relative, reader in files:
            with reader:
                yield relative, reader.length, reader

    return StreamingResponse(tar_members(members()), media_type="application/x-tar")
