"""What every studio page shares: the session, the API client, rendering, CSRF and errors.

``page`` wraps a handler that only reads; ``change`` wraps one that changes something (POST),
after checking the session's CSRF token and the request's origin. Either way an error from the
API becomes a readable message with the words the CLI prints (``ERROR: (code) message``), as a
whole page or, for an htmx request, as the fragment it asked for.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import Environment
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from basin.errors import AuthorizationError, BasinError
from basin.studio.api import ManagementApi, Paths
from basin.studio.sessions import (
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    Session,
    SessionStore,
    same_secret,
)

__all__ = ["Page", "base_url", "change", "page", "render", "render_error"]

logger = logging.getLogger("basin.studio")

#: A part of a form (the test tab's JSON body) may be this large.
MAX_PART_BYTES = 16 << 20


@dataclass
class Page:
    request: Request
    session: Session
    api: ManagementApi
    paths: Paths

    @property
    def fragment(self) -> bool:
        """An htmx request wants the part of the page it targets, not a whole page."""
        return self.request.headers.get("hx-request") == "true"

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        return render(self.request, template, status, session=self.session, **context)

    async def form(self) -> FormData:
        return await self.request.form(max_part_size=MAX_PART_BYTES)

    def param(self, name: str, default: str = "") -> str:
        return str(
            self.request.path_params.get(name) or self.request.query_params.get(name) or default
        )


Handler = Callable[[Page], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


def base_url(request: Request) -> str:
    """Where the studio is mounted (``/studio``)."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def render(
    request: Request,
    template: str,
    status: int = 200,
    *,
    session: Session | None = None,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    templates: Environment = request.app.state.templates
    html = templates.get_template(template).render(
        base=base_url(request),
        path=request.url.path,
        session=session,
        csrf=session.csrf if session else "",
        **context,
    )
    return HTMLResponse(html, status_code=status, headers=headers)


def render_error(request: Request, error: BasinError, session: Session | None) -> HTMLResponse:
    fragment = request.headers.get("hx-request") == "true"
    return render(
        request,
        "_error.html" if fragment else "error.html",
        error.status,
        session=session,
        error=error,
    )


def _signin_redirect(request: Request) -> Response:
    target = f"{base_url(request)}/signin?next={quote(request.url.path)}"
    if request.headers.get("hx-request") == "true":
        # htmx follows HX-Redirect with a full page load (e.g. a poll after the session ended).
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def _same_origin(request: Request) -> bool:
    """A change must come from a page of this server (Origin, else Referer, when sent)."""
    sent = request.headers.get("origin") or request.headers.get("referer")
    if not sent or sent == "null":
        return sent is None
    origin = urlsplit(sent)
    return f"{origin.scheme}://{origin.netloc}" == f"{request.url.scheme}://{request.url.netloc}"


async def _run(request: Request, handler: Handler, *, changes: bool) -> Response:
    sessions: SessionStore = request.app.state.sessions
    session = sessions.get(request.cookies.get(SESSION_COOKIE))
    if session is None:
        return _signin_redirect(request)
    if changes:
        given = request.headers.get(CSRF_HEADER)
        if given is None:
            form = await request.form(max_part_size=MAX_PART_BYTES)
            field = form.get(CSRF_FIELD)
            given = field if isinstance(field, str) else None
        if not same_secret(given, session.csrf) or not _same_origin(request):
            return render_error(
                request,
                AuthorizationError(
                    "The request's CSRF token is missing or wrong (or it came from another "
                    "site): reload the page and try again."
                ),
                session,
            )
    client = request.client
    api = ManagementApi(
        request.app.state.api,
        session.token,
        (client.host, client.port) if client else ("127.0.0.1", 0),
    )
    try:
        return await handler(Page(request, session, api, Paths(session.subscription_id)))
    except BasinError as error:
        return render_error(request, error, session)
    except Exception:
        # The traceback goes to the server's log only; the page says no more than the API would.
        logger.exception("Unhandled error in studio %s %s", request.method, request.url.path)
        return render_error(request, BasinError("An internal error occurred."), session)
    finally:
        await api.aclose()


def page(handler: Handler) -> Endpoint:
    """A page or fragment that only reads (GET)."""

    async def endpoint(request: Request) -> Response:
        return await _run(request, handler, changes=False)

    endpoint.__name__ = handler.__name__
    return endpoint


def change(handler: Handler) -> Endpoint:
    """A change (POST): refused without the session's CSRF token."""

    async def endpoint(request: Request) -> Response:
        return await _run(request, handler, changes=True)

    endpoint.__name__ = handler.__name__
    return endpoint
