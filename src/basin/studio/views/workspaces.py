"""Workspaces: the list (soft-deleted ones with Recover), and one workspace with what it holds."""

from __future__ import annotations

from typing import Any

from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from basin.errors import BasinError
from basin.ids import ResourceId
from basin.studio.web import Page, base_url, change, page

__all__ = ["routes", "workspace_base"]

WORKSPACE = "/workspaces/{group}/{workspace}"


def workspace_base(p: Page) -> str:
    """The studio URL of the workspace in the path."""
    return f"{base_url(p.request)}/workspaces/{p.param('group')}/{p.param('workspace')}"


def api_base(p: Page) -> str:
    return p.paths.workspace(p.param("group"), p.param("workspace"))


async def _list(p: Page) -> Response:
    active = await p.api.get(p.paths.workspaces())
    deleted = await p.api.get(p.paths.workspaces(), deleted="true")
    return p.render("workspaces.html", workspaces=active["value"], deleted=deleted["value"])


async def _dependent(p: Page, resource_id: str | None) -> dict[str, Any] | None:
    """A dependent resource as the API shows it (storage accounts have a route of their own)."""
    if not resource_id:
        return None
    parsed = ResourceId.parse(resource_id)
    shown: dict[str, Any] = {"id": resource_id, "name": parsed.name}
    if "/Microsoft.Storage/storageAccounts/" in resource_id:
        try:
            account = await p.api.get(resource_id)
            endpoints = account.get("primaryEndpoints") or account.get("properties", {}).get(
                "primaryEndpoints", {}
            )
            shown["detail"] = endpoints.get("blob") or ""
        except BasinError as error:
            shown["detail"] = f"ERROR: ({error.code}) {error.message}"
    return shown


async def _show(p: Page) -> Response:
    base = api_base(p)
    workspace = await p.api.get(base)
    counts = {}
    for label, path in (
        ("Endpoints", "/onlineEndpoints"),
        ("Models", "/models"),
        ("Environments", "/environments"),
        ("Connections", "/connections"),
    ):
        counts[label] = len((await p.api.get(base + path))["value"])
    dependents = [
        (label, await _dependent(p, workspace.get(field)))
        for label, field in (
            ("Storage account", "storage_account"),
            ("Container registry", "container_registry"),
            ("Key vault", "key_vault"),
            ("Monitoring sink (Application Insights)", "application_insights"),
        )
    ]
    return p.render(
        "workspace.html",
        workspace=workspace,
        counts=counts,
        dependents=dependents,
        ws_url=workspace_base(p),
        section="overview",
    )


async def _recover(p: Page) -> Response:
    await p.api.call("POST", api_base(p) + "/recover")
    return RedirectResponse(workspace_base(p), status_code=303)


routes = [
    Route("/workspaces", page(_list)),
    Route(WORKSPACE, page(_show)),
    Route(WORKSPACE + "/recover", change(_recover), methods=["POST"]),
]
