"""Authentication and authorisation of management calls.

A caller presents ``Authorization: Bearer <token>``: either an API token (a principal's secret,
kept only as a hash) or a JWT from basin's token service for the management audience. Every call
under ``/subscriptions/`` is then authorised by role assignments: the path *is* the resource id,
the HTTP method gives the verb (GET read, PUT/PATCH write, DELETE delete, POST an action).
"""

from __future__ import annotations

import base64
import binascii

from fastapi import Depends, Request

from basin.errors import AuthenticationError, NotFoundError
from basin.identity import action_for
from basin.services import access
from basin.services.installation import hash_token
from basin.services.platform import Platform
from basin.store import Principal

__all__ = [
    "MANAGEMENT_AUDIENCE",
    "authenticate",
    "authorize",
    "check_subscription",
    "platform_of",
    "required_action",
]

MANAGEMENT_AUDIENCE = "https://management.azure.com"
_VERBS = {"GET": "read", "HEAD": "read", "PUT": "write", "PATCH": "write", "DELETE": "delete"}


def platform_of(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def check_subscription(platform: Platform, subscription_id: str) -> None:
    if subscription_id.lower() != platform.subscription_id.lower():
        raise NotFoundError(
            f"Subscription '{subscription_id}' was not found; this server's subscription is "
            f"'{platform.subscription_id}'."
        )


def principal_for_token(platform: Platform, token: str) -> Principal:
    """The principal a bearer token stands for, or AuthenticationError (never echoing it)."""
    if token.count(".") == 2 and platform.tokens is not None:
        claims = platform.tokens.verify(token, MANAGEMENT_AUDIENCE)
        principal = platform.store.get_principal(claims.object_id)
        if principal is None:
            raise AuthenticationError("The token's principal no longer exists.")
        return principal
    principal = platform.store.principal_by_token_hash(hash_token(token))
    if principal is None:
        raise AuthenticationError("The credential is not valid (unknown or revoked token).")
    return principal


def _basic_password(value: str) -> str:
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise AuthenticationError("The basic credentials are not valid base64.") from None
    password = decoded.partition(":")[2]
    if not password:
        raise AuthenticationError("Basic credentials need a password (a basin token).")
    return password


def authenticate(request: Request) -> Principal:
    """The calling principal, or 401."""
    header = request.headers.get("authorization")
    if not header:
        raise AuthenticationError(
            "This call needs a credential: send 'Authorization: Bearer <token>' "
            "(the CLI and SDK read it from ~/.basin/credentials.json or BASIN_TOKEN)."
        )
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "basic":
        # pip and uv send index credentials as HTTP basic auth: the password is the token.
        token = _basic_password(token)
    elif scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("The Authorization header must be 'Bearer <token>'.")
    principal = principal_for_token(platform_of(request), token.strip())
    request.state.principal = principal
    return principal


def required_action(method: str, path: str) -> tuple[str, str] | None:
    """(action, scope) a management call needs: the path is the resource id, the method the
    verb (a POST is ``<last segment>/action`` on the parent); None outside ``/subscriptions/``."""
    path = path.rstrip("/")
    if not path.startswith("/subscriptions/"):
        return None
    if method == "POST":
        scope, _, verb = path.rpartition("/")
    else:
        scope, verb = path, _VERBS.get(method, "write")
    return action_for(scope, verb), scope


def authorize(request: Request, principal: Principal = Depends(authenticate)) -> Principal:
    """403 unless the caller's roles allow this method on this path's resource."""
    path = request.url.path.rstrip("/")
    if path.startswith("/subscriptions/"):
        check_subscription(platform_of(request), path.split("/")[2])
        needed = required_action(request.method, path)
        assert needed is not None
        action, scope = needed
        access.authorize(platform_of(request), principal.object_id, action, scope)
    return principal
