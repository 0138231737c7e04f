"""Handlers of blob-level operations."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
from collections.abc import AsyncIterator

import anyio.to_thread

from basin.blobs import (
    BlobData,
    BlobNotFoundError,
    BlobProperties,
    BlobReader,
    Conditions,
    InvalidBlobOrBlockError,
    InvalidRangeError,
    Md5MismatchError,
    validate_block_id,
)
from basin.server.blob import _xml
from basin.server.blob._reply import Context, Reply, run, stamp_headers
from basin.server.blob._wire import (
    BlobRequest,
    byte_range_from,
    conditions_from,
    content_settings_from,
    decode_md5,
    http_date,
    metadata_from,
    metadata_headers,
)
from basin.server.blob.errors import WireError

_MAX_RANGE_MD5 = 4 * 1024 * 1024
_INLINE_WRITE_BYTES = 64 * 1024
_ENCRYPTED = ("x-ms-request-server-encrypted", "true")


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def _decode_base64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _names(request: BlobRequest) -> tuple[str, str, str]:
    assert request.container is not None and request.blob is not None
    return request.account, request.container, request.blob


def blob_headers(props: BlobProperties, request: BlobRequest) -> list[tuple[str, str]]:
    content = props.content
    optional = {
        "Content-Encoding": content.content_encoding,
        "Content-Language": content.content_language,
        "Content-Disposition": content.content_disposition,
        "Cache-Control": content.cache_control,
    }
    values = {"Content-Type": content.content_type, **optional, **request.sas_overrides}
    headers = [(name, value) for name, value in values.items() if value]
    headers += stamp_headers(props.etag, props.last_modified)
    headers += [
        ("x-ms-creation-time", http_date(props.creation_time)),
        ("x-ms-blob-type", "BlockBlob"),
        ("x-ms-lease-state", "available"),
        ("x-ms-lease-status", "unlocked"),
        ("x-ms-server-encrypted", "true"),
        ("x-ms-access-tier", "Hot"),
        ("x-ms-access-tier-inferred", "true"),
        ("Accept-Ranges", "bytes"),
    ]
    return headers + metadata_headers(props.metadata)


async def _stream(reader: BlobReader, chunk_bytes: int) -> AsyncIterator[bytes]:
    while chunk := await anyio.to_thread.run_sync(reader.read, chunk_bytes):
        yield chunk


async def get_blob(ctx: Context, request: BlobRequest) -> Reply:
    byte_range = byte_range_from(request)
    try:
        reader = await run(
            ctx.store.open_blob, *_names(request), byte_range, conditions_from(request)
        )
    except InvalidRangeError as error:
        # Azure names the size in a 416 (clients such as the Java SDK read it to retry).
        size = {} if error.size is None else {"Content-Range": f"bytes */{error.size}"}
        raise WireError(416, error.code, error.message, size) from None
    try:
        props = reader.properties
        headers = [*blob_headers(props, request), ("Content-Length", str(reader.length))]
        md5 = props.content.content_md5
        body: bytes | AsyncIterator[bytes] = _stream(reader, ctx.limits.read_chunk_bytes)
        if byte_range is None:
            status = 200
            if md5:
                headers.append(("Content-MD5", _b64(md5)))
        else:
            status = 206
            headers.append(("Content-Range", f"bytes {reader.start}-{reader.end}/{props.size}"))
            if md5:
                headers.append(("x-ms-blob-content-md5", _b64(md5)))
            if request.header("x-ms-range-get-content-md5") == "true":
                if reader.length > _MAX_RANGE_MD5:
                    raise WireError(
                        400, "OutOfRangeInput", "A range with its MD5 may be at most 4 MiB."
                    )
                body = await run(lambda: b"".join(reader.chunks()))
                digest = hashlib.md5(body, usedforsecurity=False).digest()
                headers.append(("Content-MD5", _b64(digest)))
    except BaseException:
        reader.close()
        raise
    return Reply(status, headers, body, close=reader.close)


async def _read_properties(ctx: Context, request: BlobRequest) -> BlobProperties:
    """The blob's properties once the request's read conditions hold (a missing blob fails
    If-Match with 412, as Get Blob does)."""
    conditions = conditions_from(request)
    try:
        props = await run(ctx.store.get_blob_properties, *_names(request))
    except BlobNotFoundError:
        conditions.check_read(None, None)
        raise
    conditions.check_read(props.etag, props.last_modified)
    return props


async def get_blob_properties(ctx: Context, request: BlobRequest) -> Reply:
    props = await _read_properties(ctx, request)
    headers = [*blob_headers(props, request), ("Content-Length", str(props.size))]
    if props.content.content_md5:
        headers.append(("Content-MD5", _b64(props.content.content_md5)))
    return Reply(200, headers)


async def get_blob_metadata(ctx: Context, request: BlobRequest) -> Reply:
    props = await _read_properties(ctx, request)
    headers = stamp_headers(props.etag, props.last_modified) + metadata_headers(props.metadata)
    return Reply(200, headers)


async def _receive(ctx: Context, request: BlobRequest, data: BlobData, limit: int) -> None:
    """Stream the body into ``data``; the caller discards ``data`` on any error.

    Pieces are batched to ``write_batch_bytes`` and written by a worker thread while the next
    batch arrives, so the event loop never waits on the disk.
    """
    length = request.content_length()
    if length is None:
        raise WireError(411, "MissingContentLengthHeader", "Content-Length is required.")
    if length > limit:
        raise WireError(413, "RequestBodyTooLarge", "The request body is too large.")
    batch = bytearray()
    writing: asyncio.Task[None] | None = None
    try:
        async for chunk in request.body():
            batch += chunk
            if len(batch) >= ctx.limits.write_batch_bytes:
                if writing is not None:
                    await writing
                writing = asyncio.create_task(run(data.write, bytes(batch)))
                batch.clear()
    finally:
        if writing is not None:
            await writing
    if len(batch) > _INLINE_WRITE_BYTES or (batch and data.size):
        await run(data.write, bytes(batch))
    elif batch:  # a small body: kept in memory by the store, not worth a thread hop
        data.write(bytes(batch))
    sent_md5 = decode_md5(request.header("content-md5"), "Content-MD5")
    if sent_md5 is not None and sent_md5 != data.md5():
        raise Md5MismatchError("The MD5 value specified in the request did not match.")


async def _precheck(ctx: Context, request: BlobRequest, conditions: Conditions) -> None:
    """Refuse before a large body is read when the write is bound to fail (no container,
    overwrite refused); the store checks again atomically at commit."""
    try:
        props = await run(ctx.store.get_blob_properties, *_names(request))
    except BlobNotFoundError:
        conditions.check_write(None, None)
    else:
        conditions.check_write(props.etag, props.last_modified)


async def put_blob(ctx: Context, request: BlobRequest) -> Reply:
    blob_type = request.header("x-ms-blob-type")
    if blob_type != "BlockBlob":
        raise WireError(
            400, "InvalidHeaderValue", "basin stores block blobs only (x-ms-blob-type: BlockBlob)."
        )
    conditions = conditions_from(request)
    content = content_settings_from(request, fall_back_to_request=True)
    metadata = metadata_from(request)
    if (request.content_length() or 0) > ctx.limits.precheck_above_bytes:
        await _precheck(ctx, request, conditions)
    data = ctx.store.new_data(compute_md5=True)
    try:
        await _receive(ctx, request, data, ctx.limits.max_put_blob_bytes)
        if content.content_md5 is not None and content.content_md5 != data.md5():
            raise Md5MismatchError("x-ms-blob-content-md5 does not match the content.")
    except BaseException:
        data.discard()
        raise
    props = await run(ctx.store.put_blob, *_names(request), data, content, metadata, conditions)
    headers = [*stamp_headers(props.etag, props.last_modified), _ENCRYPTED]
    if props.content.content_md5:
        headers.append(("Content-MD5", _b64(props.content.content_md5)))
    return Reply(201, headers)


async def put_block(ctx: Context, request: BlobRequest) -> Reply:
    block_id = request.query.get("blockid")
    if not block_id:
        raise WireError(400, "MissingRequiredQueryParameter", "blockid is required.")
    try:
        validate_block_id(block_id)
    except InvalidBlobOrBlockError as error:
        # A malformed query parameter, as Azure reports it (InvalidBlobOrBlock is for content).
        code = "OutOfRangeInput" if _decode_base64(block_id) else "InvalidQueryParameterValue"
        raise WireError(400, code, error.message) from None
    wants_md5 = request.header("content-md5") is not None
    data = ctx.store.new_data(compute_md5=wants_md5)
    try:
        await _receive(ctx, request, data, ctx.limits.max_block_bytes)
    except BaseException:
        data.discard()
        raise
    digest = data.md5()
    await run(ctx.store.stage_block, *_names(request), block_id, data)
    headers = [_ENCRYPTED]
    if digest is not None:
        headers.append(("Content-MD5", _b64(digest)))
    return Reply(201, headers)


async def put_block_list(ctx: Context, request: BlobRequest) -> Reply:
    body = await request.read_small_body(ctx.limits.max_block_list_bytes)
    sent_md5 = decode_md5(request.header("content-md5"), "Content-MD5")
    body_md5 = hashlib.md5(body, usedforsecurity=False).digest()
    if sent_md5 is not None and sent_md5 != body_md5:
        raise Md5MismatchError("The MD5 value specified in the request did not match.")
    refs = _xml.parse_block_list(body)
    props = await run(
        ctx.store.commit_block_list, *_names(request), refs,
        content_settings_from(request, fall_back_to_request=False), metadata_from(request),
        conditions_from(request),
    )  # fmt: skip
    # Content-MD5 here is the block list's (the request body's), as Azure documents it.
    headers = [*stamp_headers(props.etag, props.last_modified), _ENCRYPTED]
    return Reply(201, [*headers, ("Content-MD5", _b64(body_md5))])


async def get_block_list(ctx: Context, request: BlobRequest) -> Reply:
    which = request.query.get("blocklisttype", "committed").lower()
    if which not in ("committed", "uncommitted", "all"):
        raise WireError(400, "InvalidQueryParameterValue", "blocklisttype is not valid.")
    blocks = await run(ctx.store.get_block_list, *_names(request))
    headers = [("Content-Type", "application/xml")]
    try:
        props = await run(ctx.store.get_blob_properties, *_names(request))
    except BlobNotFoundError:
        pass  # only uncommitted blocks so far
    else:
        headers += stamp_headers(props.etag, props.last_modified)
        headers.append(("x-ms-blob-content-length", str(props.size)))
    return Reply(200, headers, _xml.block_list(blocks, which))


async def set_blob_properties(ctx: Context, request: BlobRequest) -> Reply:
    props = await run(
        ctx.store.update_blob, *_names(request),
        content=content_settings_from(request, fall_back_to_request=False),
        conditions=conditions_from(request),
    )  # fmt: skip
    return Reply(200, stamp_headers(props.etag, props.last_modified))


async def set_blob_metadata(ctx: Context, request: BlobRequest) -> Reply:
    props = await run(
        ctx.store.update_blob, *_names(request),
        metadata=metadata_from(request), conditions=conditions_from(request),
    )  # fmt: skip
    return Reply(200, [*stamp_headers(props.etag, props.last_modified), _ENCRYPTED])


async def delete_blob(ctx: Context, request: BlobRequest) -> Reply:
    await run(ctx.store.delete_blob, *_names(request), conditions_from(request))
    return Reply(202, [("x-ms-delete-type-permanent", "true")])
