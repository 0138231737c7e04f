"""Models, environments (build state, live build log, the resolved lock), connections (never a
secret) and role assignments."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from basin.ids import id_key, validate_name
from basin.studio.views.workspaces import WORKSPACE, api_base, workspace_base
from basin.studio.web import Page, page

__all__ = ["routes"]

#: Build states after which the log no longer changes.
FINAL_BUILD_STATES = ("Succeeded", "Failed")


def _render(p: Page, template: str, section: str, **context: Any) -> Response:
    return p.render(template, ws_url=workspace_base(p), section=section, **context)


async def _models(p: Page) -> Response:
    base = api_base(p) + "/models"
    latest = (await p.api.get(base))["value"]
    versions = {}
    for model in latest:
        found = await p.api.get(f"{base}/{model['name']}/versions", include_archived="true")
        versions[model["name"]] = found["value"]
    return _render(p, "models.html", "models", models=latest, versions=versions)


def _environment_api(p: Page) -> str:
    name = validate_name("asset", p.param("name"))
    version = validate_name("asset", p.param("version"))
    return f"{api_base(p)}/environments/{name}/versions/{version}"


async def _environments(p: Page) -> Response:
    found = (await p.api.get(api_base(p) + "/environments"))["value"]
    return _render(p, "environments.html", "environments", environments=found)


async def _environment_view(p: Page, template: str) -> Response:
    path = _environment_api(p)
    environment = await p.api.get(path)
    log = await p.api.get(path + "/logs")
    return _render(
        p,
        template,
        "environments",
        environment=environment,
        log=log or "",
        building=environment.get("build_state") not in FINAL_BUILD_STATES,
    )


async def _environment(p: Page) -> Response:
    return await _environment_view(p, "environment.html")


async def _build_log(p: Page) -> Response:
    """The build log while it builds (htmx polls this until the build ends)."""
    return await _environment_view(p, "_build_log.html")


async def _connections(p: Page) -> Response:
    found = (await p.api.get(api_base(p) + "/connections"))["value"]
    # Only what names a connection: its credentials are shown as their type and user name.
    rows = [
        {
            "name": c.get("name"),
            "type": c.get("type"),
            "target": c.get("target"),
            "auth": (c.get("credentials") or {}).get("type", "none"),
            "username": (c.get("credentials") or {}).get("username", ""),
        }
        for c in found
    ]
    return _render(p, "connections.html", "connections", connections=rows)


def _related(scope: str, resource_id: str) -> bool:
    """An assignment at the workspace, above it (group, subscription) or below it."""
    scope_key, resource_key = id_key(scope), id_key(resource_id)
    return (
        resource_key == scope_key
        or resource_key.startswith(scope_key + "/")
        or scope_key.startswith(resource_key + "/")
    )


async def _access(p: Page) -> Response:
    workspace_id = api_base(p)
    found = (await p.api.get(p.paths.role_assignments(), all="true"))["value"]
    rows = [a for a in found if _related(str(a.get("scope", "")), workspace_id)]
    return _render(p, "access.html", "access", assignments=rows, workspace_id=workspace_id)


ENVIRONMENT = WORKSPACE + "/environments/{name}/versions/{version}"

routes = [
    Route(WORKSPACE + "/models", page(_models)),
    Route(WORKSPACE + "/environments", page(_environments)),
    Route(ENVIRONMENT, page(_environment)),
    Route(ENVIRONMENT + "/log", page(_build_log)),
    Route(WORKSPACE + "/connections", page(_connections)),
    Route(WORKSPACE + "/access", page(_access)),
]
