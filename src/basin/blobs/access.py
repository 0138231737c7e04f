"""What the blob service asks of the rest of basin: account keys and bearer-token decisions.

Identity stays out of this package; the caller injects an ``AccountDirectory`` and, for bearer
tokens, a ``BearerAuthorizer`` (basin's RBAC). Data actions are Azure's exact strings; the table
in ``basin.server.blob.operations`` says which one each operation asks for.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Protocol

from basin.errors import AuthenticationError, AuthorizationError, ValidationError
from basin.identity import actions

__all__ = [
    "BLOBS_ADD",
    "BLOBS_DELETE",
    "BLOBS_READ",
    "BLOBS_WRITE",
    "CONTAINERS_DELETE",
    "CONTAINERS_READ",
    "CONTAINERS_WRITE",
    "AccountDirectory",
    "BearerAuthorizer",
    "InvalidTokenError",
    "PermissionDeniedError",
    "StaticAccountDirectory",
]

# Azure's action strings, defined once in the identity library (which checks them). Container
# life cycle is control plane in Azure; basin asks bearer callers for those actions.
BLOBS_READ = actions.BLOB_READ
BLOBS_WRITE = actions.BLOB_WRITE
BLOBS_DELETE = actions.BLOB_DELETE
BLOBS_ADD = actions.BLOB_ADD
CONTAINERS_READ = actions.CONTAINER_READ
CONTAINERS_WRITE = actions.CONTAINER_WRITE
CONTAINERS_DELETE = actions.CONTAINER_DELETE


class InvalidTokenError(AuthenticationError):
    """The bearer token is malformed, expired, not for storage, or unknown (sent as 401)."""


class PermissionDeniedError(AuthorizationError):
    """A valid token whose principal lacks the data action at this scope (sent as 403)."""

    code = "AuthorizationPermissionMismatch"


class AccountDirectory(Protocol):
    def account_keys(self, account: str) -> Sequence[bytes] | None:
        """The account's keys (raw bytes, key1 first); None when there is no such account."""
        ...


class BearerAuthorizer(Protocol):
    def authorize(
        self,
        token: str,
        account: str,
        container: str | None,
        blob: str | None,
        data_action: str,
    ) -> None:
        """Return to allow; raise InvalidTokenError (or any AuthenticationError) for a bad
        token, PermissionDeniedError (or any AuthorizationError) for a missing permission."""
        ...


class StaticAccountDirectory:
    """Accounts from a mapping of name -> base64 keys (the standalone launcher, tests)."""

    def __init__(self, accounts: Mapping[str, Sequence[str]]) -> None:
        self._keys: dict[str, list[bytes]] = {}
        for name, keys in accounts.items():
            try:
                self._keys[name] = [base64.b64decode(k, validate=True) for k in keys]
            except (binascii.Error, ValueError):
                # Never echo the key itself.
                raise ValidationError(f"Account {name!r} has a key that is not base64.") from None
            if not self._keys[name]:
                raise ValidationError(f"Account {name!r} has no keys.")

    def account_keys(self, account: str) -> Sequence[bytes] | None:
        return self._keys.get(account)
