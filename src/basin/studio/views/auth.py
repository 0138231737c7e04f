"""Sign in (a basin token, or a service principal's app id and secret) and sign out."""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from basin.errors import AuthenticationError, AuthorizationError, BasinError
from basin.studio.api import ManagementApi
from basin.studio.sessions import (
    CSRF_FIELD,
    SESSION_COOKIE,
    SIGNIN_COOKIE,
    SessionStore,
    same_secret,
)
from basin.studio.web import Page, base_url, change, render

__all__ = ["routes"]


def _next(request: Request, value: object) -> str:
    """Where to go after signing in: a studio path only (never another site)."""
    base = base_url(request)
    target = str(value or "")
    if target.startswith(base + "/") and not target.startswith("//") and "\\" not in target:
        return target
    return base + "/workspaces"


def _signin_page(
    request: Request, status: int = 200, error: BasinError | None = None, method: str = "token"
) -> Response:
    """The form, with a fresh sign-in CSRF token in a cookie and a hidden field."""
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "signin.html",
        status,
        signin_csrf=token,
        error=error,
        method=method,
        next=_next(request, request.query_params.get("next")),
    )
    response.set_cookie(
        SIGNIN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path=base_url(request) + "/signin",
    )
    return response


async def signin_form(request: Request) -> Response:
    return _signin_page(request)


async def signin(request: Request) -> Response:
    form = await request.form()
    method = str(form.get("method") or "token")
    if not same_secret(str(form.get(CSRF_FIELD) or ""), request.cookies.get(SIGNIN_COOKIE, "")):
        error: BasinError = AuthorizationError(
            "The sign-in form's CSRF token is missing or wrong: reload the page and try again."
        )
        return _signin_page(request, 403, error, method)
    if method == "service_principal":
        token = str(form.get("client_secret") or "").strip()
        app_id = str(form.get("client_id") or "").strip()
        tenant = str(form.get("tenant_id") or "").strip()
        if not token or not app_id:
            error = AuthenticationError(
                "Give the service principal's application (client) id and its secret."
            )
            return _signin_page(request, 401, error, method)
    else:
        token, app_id, tenant = str(form.get("token") or "").strip(), "", ""
        if not token:
            error = AuthenticationError("Give a basin token (basin ad sp create prints one).")
            return _signin_page(request, 401, error, method)
    client = request.client
    api = ManagementApi(
        request.app.state.api, token, (client.host, client.port) if client else ("127.0.0.1", 0)
    )
    try:
        info = await api.get("/basin/info")
        caller = info["caller"]
        if app_id and app_id.lower() != str(caller.get("app_id", "")).lower():
            raise AuthenticationError(
                "The secret does not belong to the application (client) id given."
            )
        if tenant and tenant.lower() != str(info.get("tenant_id", "")).lower():
            raise AuthenticationError(f"This server's tenant is not '{tenant}'.")
    except BasinError as failed:
        return _signin_page(request, failed.status, failed, method)
    finally:
        await api.aclose()
    sessions: SessionStore = request.app.state.sessions
    session = sessions.create(
        token,
        name=str(caller.get("name") or caller.get("object_id")),
        object_id=str(caller.get("object_id")),
        subscription_id=str(info["subscription_id"]),
    )
    response = RedirectResponse(_next(request, form.get("next")), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session.id,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path=base_url(request) or "/",
    )
    response.delete_cookie(SIGNIN_COOKIE, path=base_url(request) + "/signin")
    return response


async def _signout(page: Page) -> Response:
    sessions: SessionStore = page.request.app.state.sessions
    sessions.drop(page.session.id)
    response = RedirectResponse(base_url(page.request) + "/signin", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=base_url(page.request) or "/")
    return response


routes = [
    Route("/signin", signin_form, methods=["GET"]),
    Route("/signin", signin, methods=["POST"]),
    Route("/signout", change(_signout), methods=["POST"]),
]
