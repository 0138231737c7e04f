"""``…/workspaces/{workspace}/environments[/{name}/versions[/{version}[/action]]]`` and wheels."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import PlainTextResponse

from basin.entities import Environment, parse_entity
from basin.server.routes._assets import add_versioned_routes
from basin.server.routes._common import WORKSPACE, platform_for, workspace_for
from basin.services import environments, wheels

router = APIRouter()

ENVIRONMENTS = WORKSPACE + "/environments"
#: A registry's environments (basin has one registry, ``azureml``: its curated environments).
REGISTRY = "/basin/registries/{registry}/environments"
VERSIONS = ENVIRONMENTS + "/{name}/versions"
ONE = VERSIONS + "/{version}"

add_versioned_routes(
    router, ENVIRONMENTS, environments.list_environments, environments.set_archived
)


def _create(
    request: Request, subscription_id: str, group: str, workspace: str, data: dict[str, Any]
) -> dict[str, Any]:
    workspace_for(request, subscription_id, group, workspace)
    env = parse_entity(Environment, data, source="environment")
    platform = platform_for(request, subscription_id)
    return environments.create_or_update(platform, group, workspace, env).to_dict()


@router.put(VERSIONS, status_code=201)
def create_next(
    request: Request,
    subscription_id: str,
    group: str,
    workspace: str,
    name: str,
    body: dict[str, Any] = Body(),
) -> dict[str, Any]:
    """Register the next version (or return the latest one if its content is the same)."""
    return _create(
        request, subscription_id, group, workspace, {**body, "name": name, "version": None}
    )


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
    return _create(
        request, subscription_id, group, workspace, {**body, "name": name, "version": version}
    )


@router.get(ONE)
def show(
    request: Request, subscription_id: str, group: str, workspace: str, name: str, version: str
) -> dict[str, Any]:
    workspace_for(request, subscription_id, group, workspace)
    platform = platform_for(request, subscription_id)
    return environments.get(platform, group, workspace, name, version).to_dict()


@router.get(ONE + "/logs")
def logs(
    request: Request, subscription_id: str, group: str, workspace: str, name: str, version: str
) -> PlainTextResponse:
    workspace_for(request, subscription_id, group, workspace)
    platform = platform_for(request, subscription_id)
    return PlainTextResponse(environments.build_log(platform, group, workspace, name, version))


@router.put(WORKSPACE + "/wheels/{filename}", status_code=201)
def register_wheel(
    request: Request,
    subscription_id: str,
    group: str,
    workspace: str,
    filename: str,
    body: dict[str, Any] = Body(),
) -> dict[str, Any]:
    """Record an uploaded wheel (its bytes were uploaded first); answers the URL for pip lists."""
    ws = workspace_for(request, subscription_id, group, workspace)
    return wheels.register(
        platform_for(request, subscription_id), ws, filename, str(body.get("path", ""))
    )


@router.get(WORKSPACE + "/wheels")
def list_wheels(
    request: Request, subscription_id: str, group: str, workspace: str
) -> dict[str, Any]:
    ws = workspace_for(request, subscription_id, group, workspace)
    return {"value": wheels.list_wheels(platform_for(request, subscription_id), ws)}


@router.get(REGISTRY)
def registry_list(registry: str) -> dict[str, Any]:
    return {"value": [env.to_dict() for env in environments.registry_environments(registry)]}


@router.get(REGISTRY + "/{name}/versions/{version}")
def registry_show(registry: str, name: str, version: str) -> dict[str, Any]:
    return environments.registry_environment(registry, name, version).to_dict()
