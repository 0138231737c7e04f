"""The workspace's package index: PEP 503 (HTML) and PEP 691 (JSON) simple API of its wheels.

pip and uv reach it with ``--index-url https://basin:<token>@host/…/pypi/simple/`` (HTTP basic
auth: the password is a basin token; the user name is ignored).
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse

from basin.envbuild import canonical_name
from basin.errors import NotFoundError
from basin.server.routes._common import WORKSPACE, platform_for, workspace_for
from basin.services import wheels

router = APIRouter()

INDEX = WORKSPACE + "/pypi"
JSON_TYPE = "application/vnd.pypi.simple.v1+json"


def _wants_json(request: Request) -> bool:
    return JSON_TYPE in request.headers.get("accept", "")


def _page(title: str, links: list[tuple[str, str]]) -> str:
    rows = "\n".join(
        f'    <a href="{html.escape(href)}">{html.escape(text)}</a><br/>' for href, text in links
    )
    return (
        '<!DOCTYPE html>\n<html>\n  <head><meta name="pypi:repository-version" content="1.0">'
        f"<title>{html.escape(title)}</title></head>\n  <body>\n{rows}\n  </body>\n</html>\n"
    )


@router.get(INDEX + "/simple/")
def projects(request: Request, subscription_id: str, group: str, workspace: str) -> Response:
    ws = workspace_for(request, subscription_id, group, workspace)
    names = sorted(
        {w["project"] for w in wheels.list_wheels(platform_for(request, subscription_id), ws)}
    )
    if _wants_json(request):
        body = {"meta": {"api-version": "1.0"}, "projects": [{"name": n} for n in names]}
        return JSONResponse(body, media_type=JSON_TYPE)
    return HTMLResponse(_page("Simple index", [(f"{n}/", n) for n in names]))


@router.get(INDEX + "/simple/{project}/")
def files(
    request: Request, subscription_id: str, group: str, workspace: str, project: str
) -> Response:
    ws = workspace_for(request, subscription_id, group, workspace)
    wanted = canonical_name(project)
    found = [
        w
        for w in wheels.list_wheels(platform_for(request, subscription_id), ws)
        if w["project"] == wanted
    ]
    if not found:
        raise NotFoundError(f"No wheel of project '{project}' was uploaded to this workspace.")
    base = str(
        request.url_for(
            "wheel_file",
            subscription_id=subscription_id,
            group=group,
            workspace=workspace,
            filename="X",
        )
    )[:-1]
    if _wants_json(request):
        entries: list[dict[str, Any]] = [
            {
                "filename": w["filename"],
                "url": base + w["filename"],
                "hashes": {"sha256": w["sha256"]},
            }
            for w in found
        ]
        return JSONResponse(
            {"meta": {"api-version": "1.0"}, "name": wanted, "files": entries}, media_type=JSON_TYPE
        )
    links = [(f"{base}{w['filename']}#sha256={w['sha256']}", w["filename"]) for w in found]
    return HTMLResponse(_page(f"Links for {wanted}", links))


@router.get(INDEX + "/files/{filename}", name="wheel_file")
def wheel_file(
    request: Request, subscription_id: str, group: str, workspace: str, filename: str
) -> StreamingResponse:
    ws = workspace_for(request, subscription_id, group, workspace)
    reader = wheels.open_wheel(platform_for(request, subscription_id), ws, filename)

    def body() -> Iterator[bytes]:
        with reader:
            yield from reader.chunks()

    headers = {"Content-Length": str(reader.length)}
    return StreamingResponse(body(), media_type="application/octet-stream", headers=headers)
