"""Limits on what a management call may carry, checked before any route sees the body.

Azure Resource Manager refuses request bodies over 4 MiB and tags beyond its rules (at most 50
per resource, names up to 512 characters, values up to 256). basin applies the same to every
JSON body, whatever the route, and caps any other text: a 300 MiB tag value once made the store
(and every listing after it) crawl. Uploads (``…/uploads/{hash}``) stream tar files to the
datastore and keep their own limit.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from basin.errors import BasinError, PayloadTooLargeError, ValidationError

__all__ = ["MAX_BODY_BYTES", "BodyLimits", "check_text_limits"]

MAX_BODY_BYTES = 4 << 20
MAX_TAGS = 50
MAX_TAG_NAME = 512
MAX_TAG_VALUE = 256
MAX_DESCRIPTION = 8 << 10
MAX_TEXT = 128 << 10
MAX_DEPTH = 32

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def check_text_limits(value: Any, where: str = "", depth: int = 0) -> None:
    """Refuse (ValidationError) tags beyond Azure's rules, long descriptions, long text and deep
    nesting anywhere in a JSON document, naming the field."""
    if depth > MAX_DEPTH:
        raise ValidationError(f"'{where}' is nested more than {MAX_DEPTH} levels deep.")
    if isinstance(value, str):
        limit = MAX_DESCRIPTION if where.rsplit(".", 1)[-1] == "description" else MAX_TEXT
        if len(value) > limit:
            raise ValidationError(f"'{where}' is longer than {limit:,} characters.")
    elif isinstance(value, dict):
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            if len(key) > MAX_TEXT:
                raise ValidationError(f"A field name under '{where}' is too long.")
            if key == "tags" and isinstance(item, dict):
                _check_tags(item, path)
            check_text_limits(item, path, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_text_limits(item, f"{where}[{index}]", depth + 1)


def _check_tags(tags: dict[str, Any], where: str) -> None:
    if len(tags) > MAX_TAGS:
        raise ValidationError(f"'{where}' holds {len(tags)} tags; Azure allows at most {MAX_TAGS}.")
    for name, value in tags.items():
        if not 1 <= len(name) <= MAX_TAG_NAME:
            raise ValidationError(
                f"Tag names in '{where}' must be 1 to {MAX_TAG_NAME} characters long."
            )
        if isinstance(value, str) and len(value) > MAX_TAG_VALUE:
            raise ValidationError(
                f"The value of tag '{name[:40]}' is longer than {MAX_TAG_VALUE} characters "
                "(Azure's limit)."
            )


class BodyLimits:
    """ASGI middleware: bodies over ``max_bytes`` get a 413 before they are read whole; JSON
    bodies are checked with ``check_text_limits`` (400) and then handed on unchanged."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or "/uploads/" in scope["path"]:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        try:
            declared = int(headers.get(b"content-length", b"0") or 0)
        except ValueError:
            declared = 0
        if declared > self.max_bytes:
            await _refuse(send, self._too_large())
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await _refuse(send, self._too_large())
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if body and b"json" in headers.get(b"content-type", b""):
            try:
                check_text_limits(json.loads(body))
            except ValueError:
                pass  # not JSON at all: the route's own parsing says so in the usual words
            except RecursionError:
                await _refuse(send, ValidationError("The JSON body is nested too deeply."))
                return
            except ValidationError as error:
                await _refuse(send, error)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _too_large(self) -> PayloadTooLargeError:
        return PayloadTooLargeError(
            f"The request body is larger than {self.max_bytes >> 20} MiB, the management API's "
            "limit (as Azure Resource Manager's). Upload files through the CLI or SDK, which "
            "send them to the datastore."
        )


async def _refuse(send: Send, error: BasinError) -> None:
    body = json.dumps(error.to_body()).encode()
    await send(
        {
            "type": "http.response.start",
            "status": error.status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
