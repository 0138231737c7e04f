"""``create_studio``: the studio as an ASGI app, mounted under ``/studio`` by the management API.

Server-rendered pages (Jinja2) with htmx for the live parts; the scripts, styles and htmx are
files of this package, served from ``/studio/static``. The studio is a client of the management
API (``api.ManagementApi``): it holds no route to the services of its own.
"""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from basin.errors import BasinError, NotFoundError
from basin.studio.sessions import SessionStore
from basin.studio.views import assets, auth, endpoints, workspaces
from basin.studio.web import base_url, render_error

__all__ = ["create_studio"]

#: No script, style, frame or form target from anywhere but this server.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


class _SecurityHeaders:
    """Adds the headers above to every studio response; pages are never cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith(f"{scope.get('root_path', '')}/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += _HEADERS
                if not static and not any(k == b"cache-control" for k, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _templates() -> Environment:
    env = Environment(
        loader=PackageLoader("basin.studio", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["group_of"] = lambda resource_id: str(resource_id).split("/")[4]
    env.filters["last"] = lambda resource_id: str(resource_id).rstrip("/").rsplit("/", 1)[-1]
    env.filters["asset"] = _asset
    return env


def _asset(reference: str) -> str:
    """``…/models/m/versions/1`` (or ``azureml:…``) -> ``m:1``."""
    parts = reference.rstrip("/").split("/")
    if len(parts) >= 4 and parts[-2] == "versions":
        return f"{parts[-3]}:{parts[-1]}"
    return reference.removeprefix("azureml:")


async def _home(request: Request) -> Response:
    return RedirectResponse(base_url(request) + "/workspaces", status_code=303)


class _MethodNotAllowed(BasinError):
    code = "MethodNotAllowed"
    status = 405


async def _not_found(request: Request, exc: Exception) -> Response:
    if isinstance(exc, HTTPException) and exc.status_code == 405:
        error: BasinError = _MethodNotAllowed(f"This page does not take {request.method} requests.")
    else:
        error = NotFoundError("There is no studio page at this address.")
    return render_error(request, error, None)


def create_studio(api: ASGIApp, *, sessions: SessionStore | None = None) -> ASGIApp:
    """The studio; ``api`` is the management API app its pages call."""
    app = Starlette(
        routes=[
            Route("/", _home),
            Mount("/static", StaticFiles(packages=[("basin.studio", "static")]), name="static"),
            *auth.routes,
            *workspaces.routes,
            *endpoints.routes,
            *assets.routes,
        ],
        exception_handlers={HTTPException: _not_found},
    )
    app.state.api = api
    app.state.sessions = sessions or SessionStore()
    app.state.templates = _templates()
    return _SecurityHeaders(app)
