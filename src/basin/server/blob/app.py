"""The ASGI app of the blob service: parse, identify, authenticate, handle; errors in one place."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from basin.blobs import BlobStore, validate_blob_name, validate_container_name
from basin.blobs.access import AccountDirectory, BearerAuthorizer
from basin.errors import BasinError
from basin.server.blob import _blobs, _containers, _xml
from basin.server.blob._auth import Authenticator
from basin.server.blob._reply import Context, Limits, Reply
from basin.server.blob._wire import (
    BlobRequest,
    ClientDisconnectedError,
    Message,
    Scope,
    http_date,
    parse_request,
    send_response,
)
from basin.server.blob.errors import WireError, wire_status_and_code
from basin.server.blob.operations import Operation, identify

__all__ = ["DEFAULT_AUTHORIZATION_URI", "BlobApp", "Limits", "create_blob_app"]

logger = logging.getLogger("basin.server.blob")

DEFAULT_AUTHORIZATION_URI = "https://login.microsoftonline.com/common/oauth2/authorize"
SERVICE_VERSION = "2025-11-05"
_DRAIN_BEFORE_ERROR = 64 * 1024 * 1024

Handler = Callable[[Context, BlobRequest], Awaitable[Reply]]
_HANDLERS: dict[str, Handler] = {
    "ListContainers": _containers.list_containers,
    "CreateContainer": _containers.create_container,
    "DeleteContainer": _containers.delete_container,
    "GetContainerProperties": _containers.get_container_properties,
    "SetContainerMetadata": _containers.set_container_metadata,
    "ListBlobs": _containers.list_blobs,
    "GetBlob": _blobs.get_blob,
    "GetBlobProperties": _blobs.get_blob_properties,
    "GetBlobMetadata": _blobs.get_blob_metadata,
    "GetBlockList": _blobs.get_block_list,
    "PutBlob": _blobs.put_blob,
    "PutBlock": _blobs.put_block,
    "PutBlockList": _blobs.put_block_list,
    "SetBlobProperties": _blobs.set_blob_properties,
    "SetBlobMetadata": _blobs.set_blob_metadata,
    "DeleteBlob": _blobs.delete_blob,
}


class BlobApp:
    """Serves ``{scheme}://host:port/{account}/{container}/{blob}`` like Azure Blob Storage."""

    def __init__(self, context: Context, authenticator: Authenticator) -> None:
        self._context = context
        self._auth = authenticator

    async def __call__(
        self,
        scope: Scope,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        started = time.perf_counter()
        request_id = str(uuid.uuid4())
        request: BlobRequest | None = None
        operation: Operation | None = None
        try:
            request = parse_request(scope, receive, request_id)
            operation = identify(request)
            if request.container is not None:
                validate_container_name(request.container)
            if request.blob is not None:
                validate_blob_name(request.blob)
            await self._auth.check(request, operation)
            reply = await _HANDLERS[operation.name](self._context, request)
        except ClientDisconnectedError:
            logger.info("%s client disconnected", request_id)
            return
        except Exception as error:
            reply = self._error_reply(error, request_id, operation)
            if request is not None:
                await request.drain(_DRAIN_BEFORE_ERROR)
        head = scope["method"] == "HEAD"
        try:
            headers = reply.headers + self._common_headers(scope, request_id)
            await send_response(send, reply.status, headers, reply.body, head=head)
        except OSError:
            logger.info("%s client went away during the response", request_id)
        finally:
            if reply.close is not None:
                reply.close()
        logger.info(
            "%s %s %s %d %.1fms",
            request_id, scope["method"], operation.name if operation else "-", reply.status,
            (time.perf_counter() - started) * 1000,
        )  # fmt: skip

    def _error_reply(self, error: Exception, request_id: str, operation: Operation | None) -> Reply:
        """The one place where exceptions become Azure error responses."""
        headers: dict[str, str] = {}
        detail = None
        if isinstance(error, WireError):
            status, code, message = error.status, error.code, error.message
            headers, detail = error.headers, error.detail
        elif isinstance(error, BasinError):
            (status, code), message = wire_status_and_code(error), error.message
        else:
            logger.exception("%s unexpected error in %s", request_id, operation)
            status, code, message = 500, "InternalError", "The server encountered an error."
        all_headers = [*headers.items(), ("x-ms-error-code", code)]
        if status == 304:
            return Reply(status, all_headers)
        all_headers.append(("Content-Type", "application/xml"))
        return Reply(status, all_headers, _xml.error_body(code, message, request_id, detail))

    @staticmethod
    def _common_headers(scope: Scope, request_id: str) -> list[tuple[str, str]]:
        headers = [
            ("x-ms-request-id", request_id),
            ("Date", http_date_now()),
            ("Server", "basin-blob"),
        ]
        version = SERVICE_VERSION
        for key, value in scope["headers"]:
            if key == b"x-ms-client-request-id":
                headers.append(("x-ms-client-request-id", value.decode("latin-1")))
            elif key == b"x-ms-version":
                version = value.decode("latin-1")
        headers.append(("x-ms-version", version))
        return headers

    @staticmethod
    async def _lifespan(
        receive: Callable[[], Awaitable[Message]], send: Callable[[Message], Awaitable[None]]
    ) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


def http_date_now() -> str:
    return http_date(datetime.now(UTC))


def create_blob_app(
    store: BlobStore,
    accounts: AccountDirectory,
    authorizer: BearerAuthorizer | None = None,
    *,
    authorization_uri: str = DEFAULT_AUTHORIZATION_URI,
    require_https_for_bearer: bool = True,
    limits: Limits | None = None,
) -> Any:
    """The blob REST service as an ASGI app.

    ``authorization_uri`` goes into the ``WWW-Authenticate`` challenge of 401 replies (the SDK
    asks its credential for a token of that tenant). Run it without the server's own ``Date``
    header and access log (uvicorn: ``date_header=False, access_log=False``): the app sends
    ``Date`` itself and logs requests without their query strings, where SAS signatures live.
    """
    authenticator = Authenticator(
        accounts, authorizer, authorization_uri, require_https_for_bearer=require_https_for_bearer
    )
    return BlobApp(Context(store, limits or Limits()), authenticator)
