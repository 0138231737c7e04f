"""``management.azure.com`` as basin answers it: the ASGI app in front of the ARM adapters.

For every request: find the route (case-insensitive paths), authenticate the bearer token (a
JWT from ``login.microsoftonline.com`` for ``https://management.azure.com``, or a basin API
token), authorise the method on the path's resource with the same role checks as basin's own
management API, call the handler in a thread, and answer in ARM's shape. Errors are ARM's
envelope, ``{"error": {"code", "message"}}``, which azure-core turns into its exceptions. Nothing
here logs a header, a body or a query string.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from basin.errors import AuthenticationError, BasinError, ValidationError
from basin.server.arm._common import authorize
from basin.server.arm.routing import ArmReply, ArmRequest, ArmRouter
from basin.server.auth import check_subscription, principal_for_token
from basin.server.limits import BodyLimits
from basin.server.login import AUTHORITY
from basin.server.network import NetworkPolicy
from basin.services.platform import Platform
from basin.store import Principal

__all__ = ["ArmApp", "create_arm_app"]

logger = logging.getLogger("basin.arm")

_VERBS = {"GET": "read", "HEAD": "read", "PUT": "write", "PATCH": "write", "DELETE": "delete"}


class _State:
    """What handlers may need besides the platform (``request.state``)."""

    def __init__(self, serving: Any, network_policy: NetworkPolicy) -> None:
        self.serving = serving
        self.network_policy = network_policy


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    body = {"error": {"code": code, "message": message, "details": []}}
    return JSONResponse(body, status_code=status, headers=headers)


class ArmApp:
    """The raw ASGI app (wrapped in ``BodyLimits`` by ``create_arm_app``)."""

    def __init__(self, platform: Platform, router: ArmRouter, state: _State) -> None:
        self.platform = platform
        self.router = router
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        response = await self._answer(request)
        response.headers.setdefault("x-ms-request-id", str(uuid.uuid4()))
        await response(scope, receive, send)  # the proxy logs it (never a query or a header)

    async def _answer(self, request: Request) -> Response:
        method, path = request.method.upper(), request.url.path
        found = self.router.resolve(method, path)
        if found is None:
            allowed = self.router.allowed_methods(path)
            if allowed:
                return _error(
                    405, "MethodNotAllowed",
                    f"'{method}' is not allowed here; this path takes {', '.join(sorted(allowed))}.",
                )  # fmt: skip
            return _error(
                404, "NoRegisteredProviderFound" if "/providers/" in path else "NotFound",
                f"basin's management.azure.com does not serve '{method} {path[:200]}' (see the "
                "compatibility table in basin's docs/architecture.md).",
            )  # fmt: skip
        try:
            principal = await run_in_threadpool(self._authenticate, request)
            body = await _json_body(request)
            arm_request = ArmRequest(
                platform=self.platform,
                principal=principal,
                method=method,
                path=path.rstrip("/"),
                params=found.params,
                query={k: v for k, v in request.query_params.items()},
                body=body,
                client_host=request.client.host if request.client else None,
                state=self.state,
            )
            if "subscription" in found.params:
                check_subscription(self.platform, found.params["subscription"])
            if not getattr(found.handler, "authorizes_itself", False):
                await run_in_threadpool(self._authorize, arm_request)
            reply = await run_in_threadpool(found.handler, arm_request)
        except AuthenticationError as exc:
            tenant = self.platform.installation.tenant_id
            challenge = (
                f'Bearer authorization_uri="{AUTHORITY}/{tenant}", error="invalid_token", '
                f'error_description="{exc.message}"'
            )
            return _error(
                401, "InvalidAuthenticationToken", exc.message, {"WWW-Authenticate": challenge}
            )
        except BasinError as exc:
            return _error(exc.status, exc.code, exc.message)
        except Exception:
            # The traceback goes to the log only; it may hold values a caller must not see.
            logger.exception("Unhandled error in %s %s", method, path)
            return _error(500, "InternalServerError", "An internal error occurred.")
        return _reply(reply)

    def _authenticate(self, request: Request) -> Principal:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError(
                "Authentication failed. The 'Authorization' header is missing: send a bearer "
                "token for https://management.azure.com (azure-identity gets one from "
                "login.microsoftonline.com with AZURE_CLIENT_ID / AZURE_CLIENT_SECRET / "
                "AZURE_TENANT_ID of a basin service principal)."
            )
        return principal_for_token(self.platform, token.strip())

    def _authorize(self, request: ArmRequest) -> None:
        """The path is the resource id; the method gives the verb; POST names an action."""
        path = request.path
        if request.method == "POST":
            scope, _, verb = path.rpartition("/")
        else:
            scope, verb = path, _VERBS.get(request.method, "write")
        authorize(request.platform, request.principal, scope, verb)


async def _json_body(request: Request) -> Any:
    if request.method in ("GET", "HEAD", "DELETE"):
        return None
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        # Control characters inside strings are let through, as Azure's JSON reader lets them
        # through: REST scripts paste a conda file's lines into "condaFile" unescaped.
        return json.loads(raw, strict=False)
    except ValueError:
        raise ValidationError("The request body is not valid JSON.") from None


def _reply(reply: ArmReply | dict[str, Any] | None) -> Response:
    if reply is None:
        return Response(status_code=200)
    if isinstance(reply, dict):
        reply = ArmReply(reply)
    if reply.body is None:
        return Response(status_code=reply.status, headers=reply.headers)
    return JSONResponse(reply.body, status_code=reply.status, headers=reply.headers)


def create_arm_app(
    platform: Platform,
    *,
    serving: Any = None,
    trusted_networks: Sequence[str] = (),
    router: ArmRouter | None = None,
) -> BodyLimits:
    """The ARM API over ``platform``'s services (``router``: every adapter, by default)."""
    if router is None:
        from basin.server.arm.routes import all_routes

        router = all_routes()
    state = _State(serving, NetworkPolicy(trusted_networks))
    return BodyLimits(ArmApp(platform, router, state))
