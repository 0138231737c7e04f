"""The ASGI application: azmlinfsrv's routes, headers, status codes and error bodies, on raw ASGI.

Routes: ``GET /`` (liveness), ``GET|POST|OPTIONS /score``, ``GET /swagger.json?version=``.
Per request the event loop only reads the body, applies the request-id rules and writes the reply;
parsing, ``run()`` and JSON encoding happen in the runner (a worker thread by default).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
import traceback
from typing import Any, Awaitable, Callable, MutableMapping, Tuple, TypeVar

from basin.runtime.datastructures import query_pairs
from basin.runtime.inputs import ScoreRequest
from basin.runtime.logs import RequestLog
from basin.runtime.requestid import resolve_request_ids
from basin.runtime.runners import Runner, ScoringTimeout
from basin.runtime.scoring import INTERNAL_ERROR, PendingReply, Reply, Scorer, error_reply
from basin.runtime.swagger import SwaggerDocs, SwaggerError
from basin.runtime.userscript import InputMode

__all__ = ["DEFAULT_MAX_BODY_BYTES", "ScoringApp"]

logger = logging.getLogger("azmlinfsrv")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
Header = Tuple[bytes, bytes]
T = TypeVar("T")


async def _within(awaitable: Awaitable[T], seconds: float) -> T:
    """``await awaitable``, raising asyncio.TimeoutError after ``seconds``."""
    if sys.version_info >= (3, 11):  # no extra task per call
        async with asyncio.timeout(seconds):
            return await awaitable
    return await asyncio.wait_for(awaitable, seconds)  # Python 3.8 to 3.10


DEFAULT_MAX_BODY_BYTES = 100 * 1024 * 1024  # nginx client_max_body_size 100m in Azure images

_NOT_FOUND = error_reply(
    404,
    "The requested URL was not found on the server. If you entered the URL manually please "
    "check your spelling and try again.",
)
_NOT_ALLOWED = error_reply(405, "The method is not allowed for the requested URL.")
_HEALTHY = b"Healthy"
_HTML: list[Header] = [(b"content-type", b"text/html; charset=utf-8")]
_ALLOW_GET: list[Header] = [*_HTML, (b"allow", b"OPTIONS, HEAD, GET")]
_SWAGGER_HEADERS: list[Header] = [
    (b"content-type", b"application/json"),
    (b"x-ms-run-function-failed", b"False"),
]
_WANTED = frozenset(
    {
        b"x-request-id",
        b"x-ms-request-id",
        b"x-ms-client-request-id",
        b"traceid",
        b"content-type",
        b"content-length",
        b"origin",
        b"access-control-request-headers",
    }
)
_SCORE_METHODS = frozenset({"GET", "POST", "OPTIONS", "HEAD"})


class _TooLarge(Exception):
    pass


class ScoringApp:
    """ASGI 3 app serving one loaded scoring script."""

    def __init__(
        self,
        scorer: Scorer,
        swagger: SwaggerDocs,
        runner: Runner,
        *,
        scoring_timeout_ms: int,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        server_version: str | None = None,
        cors_origins: list[str] | None = None,
        request_log: RequestLog | None = None,
        local_address: tuple[str, int] | None = None,
        on_shutdown: Callable[[], None] | None = None,
    ) -> None:
        self.scorer = scorer
        self.swagger = swagger
        self.runner = runner
        self.scoring_timeout_ms = scoring_timeout_ms
        self.max_body_bytes = max_body_bytes
        self.cors_origins = cors_origins or []
        self._common: list[Header] = (
            [(b"x-ms-server-version", server_version.encode("latin-1"))] if server_version else []
        )
        self._log = request_log or RequestLog()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._raw = scorer.script.mode is InputMode.RAW
        # The TCP address a raw script's request reports (``request.host``, ``environ``) when
        # the call came over the Unix socket, which has none: the same as over the port.
        self._local = local_address
        self._on_shutdown = on_shutdown
        self._async = scorer.script.is_async

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            path = scope["path"]
            if path.startswith("//"):
                # werkzeug ignores repeated leading slashes ("//score" is "/score"): a client's
                # base URL ending in "/" still reaches the route.
                path = scope["path"] = "/" + path.lstrip("/")
            if path == "/score":
                await self._score(scope, receive, send)
            elif path == "/":
                await self._health(scope, send)
            elif path == "/swagger.json":
                await self._swagger(scope, send)
            else:
                await _send(send, _NOT_FOUND, ())
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._loop = asyncio.get_running_loop()
                self.runner.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.runner.close()
                if self._on_shutdown is not None:
                    self._on_shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    # -- per-request headers -------------------------------------------------------------------
    def _response_headers(self, found: dict[bytes, bytes]) -> tuple[list[Header], str | None]:
        """Headers every blueprint route adds, and the 431 message if an id is too long."""
        ids = resolve_request_ids(
            _text(found.get(b"x-request-id")),
            _text(found.get(b"x-ms-request-id")),
            _text(found.get(b"x-ms-client-request-id")),
        )
        if ids.legacy_used:
            logger.warning(
                "x-ms-request-id header has been deprecated and will be removed from future "
                "versions of the server. Please use x-ms-client-request-id."
            )
        headers = [*self._common, *ids.headers]
        trace = found.get(b"traceid")
        if trace is not None:
            headers.append((b"traceid", trace))
        if self.cors_origins:
            headers.extend(self._cors(found))
        return headers, ids.error

    def _cors(self, found: dict[bytes, bytes]) -> list[Header]:
        origin = found.get(b"origin")
        if origin is None:
            return []
        text = origin.decode("latin-1")
        if "*" in self.cors_origins:
            headers = [(b"access-control-allow-origin", b"*")]
        elif text in self.cors_origins:
            headers = [(b"access-control-allow-origin", origin), (b"vary", b"Origin")]
        else:
            return []
        requested = found.get(b"access-control-request-headers")
        if requested is not None:
            headers.append((b"access-control-allow-headers", requested))
        headers.append((b"access-control-allow-methods", b"GET, POST"))
        return headers

    # -- routes --------------------------------------------------------------------------------
    async def _health(self, scope: Scope, send: Send) -> None:
        method = scope["method"]
        if method not in ("GET", "HEAD", "OPTIONS"):
            await _send(send, _NOT_ALLOWED, ())
            return
        found = _collect(scope)
        extra, error = self._response_headers(found)
        if error is not None:
            reply = error_reply(431, error)
        elif method == "OPTIONS":
            reply = Reply(200, _ALLOW_GET, b"")
        else:
            reply = Reply(200, _HTML, _HEALTHY)
        await _send(send, reply, extra)

    async def _swagger(self, scope: Scope, send: Send) -> None:
        method = scope["method"]
        if method not in ("GET", "HEAD", "OPTIONS"):
            await _send(send, _NOT_ALLOWED, ())
            return
        start = time.perf_counter()
        found = _collect(scope)
        extra, error = self._response_headers(found)
        if error is not None:
            await _send(send, error_reply(431, error), extra)
            return
        if method == "OPTIONS":
            await _send(send, Reply(200, _ALLOW_GET, b""), extra)
            return
        version = _query_value(scope.get("query_string", b""), "version")
        try:
            # An empty ?version= is an invalid version (404), not the default.
            reply = Reply(
                200, _SWAGGER_HEADERS, self.swagger.get("2" if version is None else version)
            )
        except SwaggerError as ex:
            reply = error_reply(404, str(ex))
        await _send(send, reply, extra)
        self._log_request(scope, reply, start)

    async def _score(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The hot path: kept flat (few coroutine layers) because it runs for every request.
        method = scope["method"]
        if method not in _SCORE_METHODS:
            await _send(send, _NOT_ALLOWED, ())
            return
        start = time.perf_counter()
        found = _collect(scope)
        extra, error = self._response_headers(found)
        if error is not None:
            await _send(send, error_reply(431, error), extra)
            return
        message = await receive()
        body: bytes = message.get("body", b"")
        declared = found.get(b"content-length")
        try:
            if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
                raise _TooLarge()
            if message.get("more_body", False):
                body = await self._read_rest(receive, body)
            elif len(body) > self.max_body_bytes:
                raise _TooLarge()
        except _TooLarge:
            reply = error_reply(
                413, f"Request body is larger than the limit of {self.max_body_bytes} bytes."
            )
            await _send(send, reply, [*extra, (b"connection", b"close")])
            self._log_request(scope, reply, start)
            return
        content_type = found.get(b"content-type")
        if self._raw and self._local is not None:
            server = scope.get("server")
            if not server or server[1] is None:  # uvicorn's for a Unix socket: (path, None)
                scope["server"] = self._local
                scope["client"] = ("127.0.0.1", 0)
        request = ScoreRequest(
            scope,  # type: ignore[arg-type]
            body,
            _mimetype(content_type) if content_type is not None else "",
        )
        try:
            if self._async or self._raw or method == "POST" or method == "GET":
                reply = await self._dispatch(method, request)
            else:
                # OPTIONS/HEAD for a parsed-input script: no run(), no thread hop.
                reply = self.scorer.score(request)  # type: ignore[assignment]
        except ScoringTimeout:
            logger.error(
                f"Encountered Exception: run() did not finish within the scoring timeout "
                f"of {self.scoring_timeout_ms} ms"
            )
            reply = error_reply(
                500, f"Scoring timeout after {self.scoring_timeout_ms} ms", run_failed=True
            )
        except Exception:
            logger.error(f"Encountered Exception: {traceback.format_exc()}")
            reply = error_reply(500, INTERNAL_ERROR)
        headers = [*reply.headers, (b"content-length", str(len(reply.body)).encode())]
        if reply.exec_ms is not None:
            headers.append((b"x-ms-run-fn-exec-ms", f"{reply.exec_ms:.3f}".encode()))
        headers.extend(extra)
        if reply.status in (204, 304):
            del headers[len(reply.headers)]  # no content-length on bodiless statuses
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
        await send({"type": "http.response.body", "body": reply.body})
        self._log_request(scope, reply, start)

    async def _dispatch(self, method: str, request: ScoreRequest) -> Reply:
        if self._async:
            try:
                return await _within(
                    self.scorer.score_async(request), self.scoring_timeout_ms / 1000.0
                )
            except asyncio.TimeoutError:
                raise ScoringTimeout() from None
        result = await self.runner.call(self.scorer.score, request)
        if isinstance(result, PendingReply):
            try:
                return await _within(result.resolve(), self.scoring_timeout_ms / 1000.0)
            except asyncio.TimeoutError:
                raise ScoringTimeout() from None
        return result  # type: ignore[no-any-return]

    def _log_request(self, scope: Scope, reply: Reply, start: float) -> None:
        # azmlinfsrv's per-request line: "POST /score 200 0.589ms 43".
        elapsed = (time.perf_counter() - start) * 1000.0
        query = scope.get("query_string", b"")
        path = f"{scope['path']}?{query.decode('latin-1')}" if query else scope["path"]
        self._log(
            f"{scope['method']} {path} {reply.status} {elapsed:.3f}ms {len(reply.body)}",
            self._loop or asyncio.get_running_loop(),
        )

    async def _read_rest(self, receive: Receive, first: bytes) -> bytes:
        """The remaining chunks of a streamed body; raises ``_TooLarge`` past the limit."""
        limit = self.max_body_bytes
        chunks = [first]
        size = len(first)
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise _TooLarge()
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _collect(scope: Scope) -> dict[bytes, bytes]:
    found: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        if name in _WANTED:
            previous = found.get(name)
            # A repeated header reads as its values joined by "," (gunicorn's WSGI environ).
            found[name] = value if previous is None else previous + b"," + value
    return found


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("latin-1")


def _mimetype(content_type: bytes) -> str:
    return content_type.split(b";", 1)[0].strip().lower().decode("latin-1")


def _query_value(query_string: bytes, key: str) -> str | None:
    for name, value in query_pairs(query_string):
        if name == key:
            return value
    return None


async def _send(send: Send, reply: Reply, extra: Any) -> None:
    headers = [*reply.headers]
    if reply.status not in (204, 304):
        headers.append((b"content-length", str(len(reply.body)).encode()))
    if reply.exec_ms is not None:
        headers.append((b"x-ms-run-fn-exec-ms", f"{reply.exec_ms:.3f}".encode()))
    headers.extend(extra)
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": reply.body})
