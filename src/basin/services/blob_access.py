"""What the blob service needs from the platform: account keys, and RBAC for bearer tokens.

Both read the store on every request, so a renewed key or a removed role assignment takes effect
on the next request (no cache that would let a removed reader keep reading).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from basin.blobs.access import (
    CONTAINERS_DELETE,
    CONTAINERS_READ,
    CONTAINERS_WRITE,
    InvalidTokenError,
    PermissionDeniedError,
)
from basin.entities import StorageAccount
from basin.errors import AuthenticationError
from basin.identity import blob_scope, container_scope
from basin.services import access, storage_accounts
from basin.services.platform import Platform

__all__ = ["STORAGE_AUDIENCES", "PlatformAccounts", "PlatformBearerAuthorizer"]

STORAGE_AUDIENCES = ("https://storage.azure.com", "https://storage.azure.com/")
_CONTROL_PLANE = {CONTAINERS_READ, CONTAINERS_WRITE, CONTAINERS_DELETE}


def _account_id(platform: Platform, account: str) -> str | None:
    rows = platform.store.list(type=StorageAccount.resource_type, name=account)
    return rows[0].id if rows else None


class PlatformAccounts:
    """``AccountDirectory`` over storage-account resources and their sealed keys."""

    def __init__(self, platform: Platform) -> None:
        self._platform = platform

    def account_keys(self, account: str) -> Sequence[bytes] | None:
        account_id = _account_id(self._platform, account)
        if account_id is None:
            return None
        keys = []
        for name in storage_accounts.KEY_NAMES:
            value = self._platform.vault.get(self._platform.store, account_id, name)
            if value:
                keys.append(base64.b64decode(value))
        return keys


class PlatformBearerAuthorizer:
    """``BearerAuthorizer``: basin's JWT for storage, then the principal's data actions."""

    def __init__(self, platform: Platform) -> None:
        self._platform = platform

    def authorize(
        self, token: str, account: str, container: str | None, blob: str | None, data_action: str
    ) -> None:
        platform = self._platform
        if platform.tokens is None:
            raise InvalidTokenError("The token service is not running.")
        try:
            claims = platform.tokens.verify(
                token, [*list(STORAGE_AUDIENCES), f"https://{account}.blob.core.windows.net"]
            )
        except AuthenticationError as exc:
            raise InvalidTokenError(exc.message) from None
        if platform.store.get_principal(claims.object_id) is None:
            raise InvalidTokenError("The token's principal no longer exists.")
        account_id = _account_id(platform, account)
        if account_id is None:
            raise PermissionDeniedError(f"There is no storage account '{account}'.")
        if container is None:
            scope = account_id
        elif blob is None:
            scope = container_scope(account_id, container)
        else:
            scope = blob_scope(account_id, container, blob)
        is_data = data_action not in _CONTROL_PLANE
        if not access.is_allowed(platform, claims.object_id, data_action, scope, data=is_data):
            raise PermissionDeniedError(
                "This request is not authorized to perform this operation using this permission."
            )
