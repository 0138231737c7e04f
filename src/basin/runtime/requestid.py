"""Request-id headers of azmlinfsrv: ``x-request-id``, ``x-ms-request-id``, ``x-ms-client-request-id``."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Tuple

__all__ = ["HEADER_LIMIT", "RequestIds", "resolve_request_ids"]

HEADER_LIMIT = 100

Header = Tuple[bytes, bytes]


class RequestIds:
    """The response headers to add, and the 431 message when an id is too long."""

    __slots__ = ("error", "headers", "legacy_used")

    def __init__(self, headers: list[Header], error: str | None, legacy_used: bool) -> None:
        self.headers = headers
        self.error = error
        self.legacy_used = legacy_used


def _new_id() -> str:
    """A random (version 4) UUID string; ~4x cheaper than ``str(uuid.uuid4())``."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def resolve_request_ids(
    request_id: str | None,
    legacy_id: str | None,
    client_id: str | None,
    new_id: Callable[[], str] = _new_id,
) -> RequestIds:
    """Apply azmlinfsrv's rules.

    ``x-request-id`` is echoed or generated. ``x-ms-request-id`` (deprecated as input) is echoed,
    else copied from ``x-ms-client-request-id``, else from the request id; the client id is echoed,
    else copied from ``x-ms-request-id``. Any id over 100 characters gives a 431. An empty id is
    not echoed, and an empty ``x-request-id`` is not replaced by a generated one (as azmlinfsrv:
    the header is present, so its value is the id).
    """
    rid = new_id() if request_id is None else request_id
    if len(rid) > HEADER_LIMIT:
        return RequestIds([], f"x-request-id must not exceed {HEADER_LIMIT} characters", False)
    headers: list[Header] = [(b"x-request-id", rid.encode("latin-1"))] if rid else []
    legacy = legacy_id or ""
    client = client_id or ""
    legacy_used = bool(legacy)
    if legacy:
        client = client or legacy
    else:
        legacy = client or rid
    if len(legacy) > HEADER_LIMIT or len(client) > HEADER_LIMIT:
        message = (
            f"x-ms-request-id and x-ms-client-request-id must not exceed {HEADER_LIMIT} characters"
        )
        return RequestIds(headers, message, legacy_used)
    if legacy:
        headers.append((b"x-ms-request-id", legacy.encode("latin-1")))
    if client:
        headers.append((b"x-ms-client-request-id", client.encode("latin-1")))
    return RequestIds(headers, None, legacy_used)
