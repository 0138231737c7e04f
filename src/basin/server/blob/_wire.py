"""HTTP plumbing of the blob service: the parsed request, header parsing, sending responses."""

from __future__ import annotations

import base64
import binascii
import email.utils
import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from basin.blobs import Conditions, ContentSettings
from basin.server.blob.errors import WireError

Scope = dict[str, Any]
Message = dict[str, Any]
_RANGE_RE = re.compile(r"bytes=(\d+)-(\d*)")


class ClientDisconnectedError(Exception):
    """The client went away before its request body arrived."""


_META = "x-ms-meta-"
#: The scope extension where the protocol lists metadata header names as spelled.
META_NAMES = "basin.meta_header_names"
#: The scope extension naming the account when it came in the host name, as in Azure's own
#: URLs (``https://{account}.blob.core.windows.net/{container}/{blob}``); the forward proxy sets
#: it. Without it the account is the path's first segment (emulator-style URLs).
HOST_ACCOUNT = "basin.host_account"


@dataclass
class BlobRequest:
    scope: Scope
    receive: Any
    method: str
    account: str
    container: str | None
    blob: str | None
    raw_path: str
    """The path exactly as sent (percent-encoded): what shared-key signatures cover."""
    raw_query: list[tuple[str, str]]
    """(name, still-encoded value) pairs in request order."""
    query: dict[str, str]
    headers: dict[str, str]
    request_id: str
    host_style: bool = False
    """The account came in the host name: the path starts with the container."""
    body_consumed: bool = False
    sas_overrides: dict[str, str] = field(default_factory=dict)
    spellings: dict[str, str] = field(default_factory=dict)
    """Lower-case header name -> as the client spelled it (metadata names only; see protocol)."""

    @property
    def is_https(self) -> bool:
        return self.scope.get("scheme") == "https"

    @property
    def client_host(self) -> str | None:
        client = self.scope.get("client")
        return str(client[0]) if client else None

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def content_length(self) -> int | None:
        value = self.headers.get("content-length")
        if value is None:
            return None
        if not value.isdigit():
            raise WireError(400, "InvalidHeaderValue", "Content-Length is not a number.")
        return int(value)

    async def body(self) -> AsyncIterator[bytes]:
        """The request body as it arrives, never buffered whole."""
        self.body_consumed = True
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnectedError
            chunk = message.get("body", b"")
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return

    async def read_small_body(self, limit: int) -> bytes:
        parts: list[bytes] = []
        size = 0
        async for chunk in self.body():
            size += len(chunk)
            if size > limit:
                raise WireError(413, "RequestBodyTooLarge", "The request body is too large.")
            parts.append(chunk)
        return b"".join(parts)

    async def drain(self, limit: int) -> None:
        """Read and drop an unread body (up to ``limit``) so an early error reaches the client."""
        if self.body_consumed:
            return
        length = self.content_length() or 0
        if 0 < length <= limit:
            try:
                async for _ in self.body():
                    pass
            except ClientDisconnectedError:
                pass


def parse_request(scope: Scope, receive: Any, request_id: str) -> BlobRequest:
    raw_path = scope.get("raw_path")
    raw = raw_path.decode("latin-1") if raw_path else scope["path"]
    raw = raw.split("?", 1)[0]
    host_account = scope.get("extensions", {}).get(HOST_ACCOUNT)
    # Split the encoded path: "%2F" inside a blob name must not create a segment boundary early.
    if host_account:
        account = str(host_account)
        parts = ["", *raw.lstrip("/").split("/", 1)]
    else:
        parts = raw.lstrip("/").split("/", 2)
        account = unquote(parts[0]) if parts and parts[0] else ""
    container = unquote(parts[1]) if len(parts) > 1 and parts[1] else None
    blob = unquote(parts[2]) if len(parts) > 2 and parts[2] else None
    raw_query: list[tuple[str, str]] = []
    query: dict[str, str] = {}
    query_string = scope.get("query_string", b"").decode("latin-1")
    for item in query_string.split("&"):
        if not item:
            continue
        name, _, value = item.partition("=")
        raw_query.append((name, value))
        query[unquote(name).lower()] = unquote(value)
    headers: dict[str, str] = {}
    for key, value in scope["headers"]:
        name = key.decode("latin-1").lower()
        text = value.decode("latin-1")
        headers[name] = f"{headers[name]},{text}" if name in headers else text
    spellings: dict[str, str] = {}
    for spelled in scope.get("extensions", {}).get(META_NAMES, ()):
        text = spelled.decode("latin-1")
        spellings.setdefault(text.lower(), text)  # the first spelling of a repeated name
    return BlobRequest(
        scope, receive, scope["method"], account, container, blob, raw, raw_query, query,
        headers, request_id, host_style=bool(host_account), spellings=spellings,
    )  # fmt: skip


# ---- formatting and parsing of values ---------------------------------------------------------
def http_date(moment: datetime) -> str:
    return email.utils.format_datetime(moment.astimezone(UTC), usegmt=True)


def parse_http_date(value: str | None, header: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        raise WireError(
            400, "InvalidHeaderValue", f"The value of {header} is not a date."
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def quoted(etag: str) -> str:
    return f'"{etag}"'


def conditions_from(request: BlobRequest) -> Conditions:
    return Conditions(
        if_match=request.header("if-match"),
        if_none_match=request.header("if-none-match"),
        if_modified_since=parse_http_date(request.header("if-modified-since"), "If-Modified-Since"),
        if_unmodified_since=parse_http_date(
            request.header("if-unmodified-since"), "If-Unmodified-Since"
        ),
    )


def decode_md5(value: str | None, header: str) -> bytes | None:
    if not value:
        return None
    try:
        digest = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if len(digest) != 16:
        raise WireError(400, "InvalidHeaderValue", f"The value of {header} is not an MD5 digest.")
    return digest


def content_settings_from(request: BlobRequest, *, fall_back_to_request: bool) -> ContentSettings:
    """Blob content headers from ``x-ms-blob-*`` (Put Blob falls back to the request's own)."""

    def pick(name: str, plain: str) -> str | None:
        value = request.header(f"x-ms-blob-{name}")
        if value is None and fall_back_to_request:
            value = request.header(plain)
        return value

    return ContentSettings(
        content_type=pick("content-type", "content-type") or "application/octet-stream",
        content_encoding=pick("content-encoding", "content-encoding"),
        content_language=pick("content-language", "content-language"),
        content_disposition=pick("content-disposition", "content-disposition"),
        cache_control=pick("cache-control", "cache-control"),
        content_md5=decode_md5(request.header("x-ms-blob-content-md5"), "x-ms-blob-content-md5"),
    )


def metadata_from(request: BlobRequest) -> dict[str, str]:
    """The request's metadata, names spelled as sent (lower case where the ASGI server did not
    say how: ASGI lower-cases header names)."""
    return {
        request.spellings.get(name, name)[len(_META) :]: value
        for name, value in request.headers.items()
        if name.startswith(_META)
    }


def metadata_headers(metadata: dict[str, str] | Any) -> list[tuple[str, str]]:
    return [(f"x-ms-meta-{name}", value) for name, value in metadata.items()]


def byte_range_from(request: BlobRequest) -> tuple[int, int | None] | None:
    """``x-ms-range`` wins over ``Range``; a malformed ``Range`` is ignored as HTTP says."""
    for header in ("x-ms-range", "range"):
        value = request.header(header)
        if value is None:
            continue
        match = _RANGE_RE.fullmatch(value.strip())
        if match is None:
            if header == "x-ms-range":
                raise WireError(400, "InvalidHeaderValue", "The x-ms-range header is malformed.")
            continue
        start = int(match.group(1))
        end = int(match.group(2)) if match.group(2) else None
        if end is not None and end < start:
            raise WireError(416, "InvalidRange", "The range specified is invalid.")
        return start, end
    return None


# ---- sending ----------------------------------------------------------------------------------
class _Spelled(bytes):
    """A header name that keeps its case through ``lower()``, which uvicorn applies to every
    response header name: HTTP names are case-insensitive, but clients read metadata names
    (``x-ms-meta-Owner``) back from these headers as Azure sends them."""

    def lower(self) -> bytes:
        return self


def encode_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [
        (
            _Spelled(k.encode("latin-1"))
            if k[: len(_META)].lower() == _META
            else k.lower().encode("latin-1"),
            v.encode("latin-1"),
        )
        for k, v in headers
    ]


async def send_response(
    send: Any,
    status: int,
    headers: list[tuple[str, str]],
    body: bytes | AsyncIterator[bytes] = b"",
    *,
    head: bool = False,
) -> None:
    if isinstance(body, bytes):
        if not any(k.lower() == "content-length" for k, _ in headers):
            headers = [*headers, ("Content-Length", str(len(body)))]
        await send(
            {"type": "http.response.start", "status": status, "headers": encode_headers(headers)}
        )
        await send({"type": "http.response.body", "body": b"" if head else body})
        return
    await send(
        {"type": "http.response.start", "status": status, "headers": encode_headers(headers)}
    )
    async for chunk in body:
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})
