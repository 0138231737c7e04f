"""The answers the gateway gives by itself, and the request-id rules, built once where possible."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Final

__all__ = [
    "JSON",
    "MODEL_ERROR_REASON",
    "Header",
    "Send",
    "error_body",
    "new_request_id",
    "send_reply",
    "status_bytes",
]

Header = tuple[bytes, bytes]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

JSON: Final[Header] = (b"content-type", b"application/json")
CLOSE: Final[Header] = (b"connection", b"close")
# Azure's front door names a replica's non-200 answer this way (its status goes alongside).
MODEL_ERROR_REASON: Final[Header] = (b"ms-azureml-model-error-reason", b"model_error")
MODEL_ERROR_STATUS: Final = b"ms-azureml-model-error-statuscode"
OVERLOADED_REASON: Final[Header] = (b"ms-azureml-model-error-reason", b"too_many_pending_request")

_STATUS_BYTES: Final = {code: str(code).encode() for code in range(100, 600)}


def status_bytes(status: int) -> bytes:
    return _STATUS_BYTES.get(status) or str(status).encode()


def error_body(code: str, message: str) -> bytes:
    """basin's error shape, so the SDK can raise the matching class."""
    return json.dumps({"error": {"code": code, "message": message}}).encode()


_ids = random.Random()  # seeded from the OS; ids need to be unique, not secret
_made: list[bytes] = []  # ids made ahead, taken one per request
_BATCH: Final = 256


def _after_fork() -> None:
    # Gateway workers are forked from one process: without a new seed (and the ids made
    # ahead dropped) each would make the same ids as the others.
    _ids.seed()
    _made.clear()


os.register_at_fork(after_in_child=_after_fork)


def _make_ids() -> None:
    """Make ``_BATCH`` random (version 4) UUIDs at once: in one loop they cost a fraction of
    what one made inside each request does, where its code and data are cold."""
    bits = _ids.getrandbits
    for _ in range(_BATCH):
        raw = bytearray(bits(128).to_bytes(16, "big"))
        raw[6] = (raw[6] & 0x0F) | 0x40
        raw[8] = (raw[8] & 0x3F) | 0x80
        h = raw.hex()
        _made.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}".encode())


def _next_id() -> bytes:
    if not _made:
        _make_ids()
    return _made.pop()


def new_request_id() -> str:
    """A random (version 4) UUID string, cheaper than ``str(uuid.uuid4())`` (no syscall)."""
    return _next_id().decode()


def request_id_headers(
    request_id: bytes | None, legacy_id: bytes | None, client_id: bytes | None
) -> tuple[bytes, list[Header]]:
    """The request id and the id headers to return, by the inference server's rules.

    ``x-request-id`` is echoed or generated; ``x-ms-request-id`` is echoed, else copied from
    ``x-ms-client-request-id``, else from the request id; ``x-ms-client-request-id`` is echoed,
    else copied from ``x-ms-request-id`` (and absent when neither was sent).
    """
    rid = request_id or _next_id()
    if legacy_id:
        return rid, [
            (b"x-request-id", rid),
            (b"x-ms-request-id", legacy_id),
            (b"x-ms-client-request-id", client_id or legacy_id),
        ]
    if client_id:
        return rid, [
            (b"x-request-id", rid),
            (b"x-ms-request-id", client_id),
            (b"x-ms-client-request-id", client_id),
        ]
    return rid, [(b"x-request-id", rid), (b"x-ms-request-id", rid)]


async def send_reply(send: Send, status: int, headers: list[Header], body: bytes) -> None:
    """Send a whole answer at once."""
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
