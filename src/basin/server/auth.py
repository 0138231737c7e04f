"""Authentication of management calls: ``Authorization: Bearer <token>`` -> a principal."""

from __future__ import annotations

from fastapi import Request

from basin.errors import AuthenticationError
from basin.services.installation import hash_token
from basin.services.platform import Platform
from basin.store import Principal

__all__ = ["authenticate", "platform_of"]


def platform_of(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def authenticate(request: Request) -> Principal:
    """The calling principal, or 401. Messages never repeat the credential."""
    header = request.headers.get("authorization")
    if not header:
        raise AuthenticationError(
            "This call needs a credential: send 'Authorization: Bearer <token>' "
            "(the CLI and SDK read it from ~/.basin/credentials.json or BASIN_TOKEN)."
        )
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("The Authorization header must be 'Bearer <token>'.")
    principal = platform_of(request).store.principal_by_token_hash(hash_token(token.strip()))
    if principal is None:
        raise AuthenticationError("The credential is not valid (unknown or revoked token).")
    request.state.principal = principal
    return principal
