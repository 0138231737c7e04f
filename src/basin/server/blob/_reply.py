"""What handlers return, and the context they share."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio.to_thread

from basin.blobs import BlobStore
from basin.server.blob._wire import BlobRequest, http_date, quoted
from basin.server.blob.errors import WireError

T = TypeVar("T")
MAX_RESULTS = 5000


@dataclass(frozen=True)
class Limits:
    max_put_blob_bytes: int = 5000 * 1024 * 1024
    max_block_bytes: int = 4000 * 1024 * 1024
    max_block_list_bytes: int = 8 * 1024 * 1024
    precheck_above_bytes: int = 256 * 1024
    """Put Blob checks container and conditions before reading bodies bigger than this."""
    read_chunk_bytes: int = 1 << 20
    write_batch_bytes: int = 1 << 20


@dataclass(frozen=True)
class Context:
    store: BlobStore
    limits: Limits


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | AsyncIterator[bytes] = b""
    close: Callable[[], None] | None = None


async def run(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run blocking store work off the event loop."""
    return await anyio.to_thread.run_sync(functools.partial(function, *args, **kwargs))


def stamp_headers(etag: str, last_modified: Any) -> list[tuple[str, str]]:
    return [("ETag", quoted(etag)), ("Last-Modified", http_date(last_modified))]


def max_results_from(request: BlobRequest) -> int | None:
    value = request.query.get("maxresults")
    if value is None:
        return None
    if not value.isdigit() or int(value) <= 0:
        raise WireError(
            400, "OutOfRangeQueryParameterValue", "maxresults must be a positive integer."
        )
    return int(value)


def endpoint(request: BlobRequest) -> str:
    host = request.header("host") or "127.0.0.1"
    scheme = "https" if request.is_https else "http"
    return f"{scheme}://{host}/" if request.host_style else f"{scheme}://{host}/{request.account}/"
