"""The gateway's client side: a lean HTTP/1.1 server for its ASGI app (uvloop + httptools).

Chosen over uvicorn by measurement (``bench/hop.py``, docs/architecture.md "The hop"): on the
echo script at concurrency 1 the gateway spent about 155 µs of CPU per request under uvicorn,
most of it in uvicorn's per-request machinery (a cycle object, an ``asyncio.Event``, a
keep-alive timer set and cancelled per request, the head and the body written apart), against
about 55 µs for a bare proxy on the same loop. This server keeps what the gateway needs and no
more: a request that arrives whole offered to the app's task-free path first (``answer_now``),
else one task per request; the request body handed over as it arrived, the answer's head and a
body that is all there written in one ``send(2)``, keep-alive with an idle sweep (no timer per
request), pipelining, ``Expect: 100-continue``, flow control both ways, and a graceful stop.

It serves one ASGI app's ``http`` scope; instead of the lifespan protocol it calls the app's
``aclose()`` when it stops (the only thing the gateway's lifespan does). Unlike uvicorn, it
cancels a request's task when its client goes away before the whole answer was sent: for a
proxy, the work left is the replica's, for nobody.
"""

from __future__ import annotations

import asyncio
import logging
import urllib.parse
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, MutableMapping, Sequence
from http import HTTPStatus
from typing import Any, Final, Protocol, cast

import httptools

from basin.gateway.flow import WriteFlow

__all__ = ["FrontServer"]

logger = logging.getLogger("basin.gateway")

Message = MutableMapping[str, Any]

_HIGH_WATER: Final = 64 * 1024  # request body bytes held before reading from the client pauses
_MAX_HEAD_BYTES: Final = 64 * 1024  # request line and headers; past this: 431
_TICK_S: Final = 0.1  # how often the server looks at should_exit and for idle connections
_NO_BODY_STATUS: Final = frozenset({204, 304})
_STATUS_LINES: Final = {
    int(s): b"HTTP/1.1 %d %s\r\n" % (int(s), s.phrase.encode()) for s in HTTPStatus
}
_CONTINUE: Final = b"HTTP/1.1 100 Continue\r\n\r\n"
_DISCONNECT: Final[Message] = {"type": "http.disconnect"}
# shared by every scope: read, never written
_ASGI: Final = {"version": "3.0", "spec_version": "2.3"}
# ``idle_since`` / ``head_since`` of a connection that went idle or began a request's head since
# the last sweep: the sweep stamps the time then (to within a tick), not each request.
_UNSTAMPED: Final = -1.0


class AsgiApp(Protocol):
    """What the server needs of the app: ASGI 3 ``http`` calls and a close at the end."""

    def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> Awaitable[None]: ...

    async def aclose(self) -> None: ...


def _status_line(status: int) -> bytes:
    return _STATUS_LINES.get(status) or b"HTTP/1.1 %d \r\n" % status


def _plain_answer(status: int, text: str) -> bytes:
    body = text.encode()
    return (
        b"%scontent-type: text/plain; charset=utf-8\r\ncontent-length: %d\r\n"
        b"connection: close\r\n\r\n%s" % (_status_line(status), len(body), body)
    )


AnswerNow = Callable[[MutableMapping[str, Any], bytes, Any], bool]  # Any: an _Exchange


class FrontServer:
    """Serves ``app`` on listening sockets until :attr:`should_exit` is set (from any thread).

    ``answer_now(scope, body, exchange)``, if given, is offered each request whose body has
    all arrived before a task is made for it; it answers through ``exchange.answer`` from
    callbacks and returns ``True``, or returns ``False`` and the app gets the request as usual.

    Same shape as ``uvicorn.Server`` where the gateway used it: :meth:`serve`, :attr:`started`,
    :attr:`should_exit`. On exit it stops accepting, closes idle connections, lets requests in
    flight finish for up to ``graceful_s`` seconds (then cancels them) and closes the app.
    """

    def __init__(
        self,
        app: AsgiApp,
        *,
        answer_now: AnswerNow | None = None,
        keep_alive_s: float = 5.0,
        head_timeout_s: float = 30.0,
        graceful_s: float = 30.0,
    ):
        self.app = app
        self.answer_now = answer_now
        self.keep_alive_s = keep_alive_s
        self.head_timeout_s = head_timeout_s
        self.graceful_s = graceful_s
        self.started = False
        self.should_exit = False
        self.connections: set[_Connection] = set()
        self.tasks: set[asyncio.Task[None]] = set()

    async def serve(self, sockets: list[Any]) -> None:
        loop = asyncio.get_running_loop()
        listeners = []
        for sock in sockets:  # (not a comprehension: mypyc 2.4 fails on an await in one)
            listener = await loop.create_server(
                lambda: _Connection(self, loop), sock=sock, backlog=2048
            )
            listeners.append(listener)
        self.started = True
        try:
            while not self.should_exit:
                await asyncio.sleep(_TICK_S)
                self._close_idle(loop.time())
        finally:
            await self._stop(listeners, loop)

    def _close_idle(self, now: float) -> None:
        """Close connections idle for longer than the keep-alive, and those whose request's
        head began longer than ``head_timeout_s`` ago and is still not all in (a client that
        trickles it would hold a connection for ever); stamp those that changed since."""
        idle_before, head_before = now - self.keep_alive_s, now - self.head_timeout_s
        for conn in list(self.connections):
            idle = conn.idle_since
            if idle is not None:
                if idle == _UNSTAMPED:
                    conn.idle_since = now
                elif idle < idle_before:
                    conn.close()
            elif (head := conn.head_since) is not None:
                if head == _UNSTAMPED:
                    conn.head_since = now
                elif head < head_before:
                    conn.refuse_slow_head()

    def _busy(self) -> bool:
        return bool(self.tasks) or any(conn.active is not None for conn in self.connections)

    async def _stop(
        self, listeners: Sequence[asyncio.AbstractServer], loop: asyncio.AbstractEventLoop
    ) -> None:
        for listener in listeners:
            listener.close()
        for conn in list(self.connections):
            conn.shutdown()
        deadline = loop.time() + self.graceful_s
        while self._busy() and loop.time() < deadline:
            await asyncio.sleep(0.05)
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        for conn in list(self.connections):
            conn.close()
        await self.app.aclose()


class _Connection(asyncio.Protocol):
    """One client connection: parses requests, runs one at a time, queues pipelined ones."""

    def __init__(self, server: FrontServer, loop: asyncio.AbstractEventLoop) -> None:
        self.server = server
        self.loop = loop
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.peer: tuple[str, int] | None = None
        self.local: tuple[str, int] | None = None
        self.parsing: _Exchange | None = None  # the request whose bytes arrive now
        self.active: _Exchange | None = None  # the request being answered
        self.pipeline: deque[_Exchange] = deque()
        self.idle_since: float | None = None  # None while a request is under way
        self.head_since: float | None = None  # while a request's line and headers arrive
        self.broken = False  # the client sent something that is not HTTP: ignore the rest
        self.reading_paused = False
        self.flow = WriteFlow()
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._head_bytes = 0
        self._expect_continue = False
        self._connection_given = False  # the request has a Connection header

    # -- asyncio.Protocol ----------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        peer = transport.get_extra_info("peername")
        local = transport.get_extra_info("sockname")
        self.peer = (str(peer[0]), int(peer[1])) if isinstance(peer, tuple) else None
        self.local = (str(local[0]), int(local[1])) if isinstance(local, tuple) else None
        self.idle_since = self.loop.time()
        self.server.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.connections.discard(self)
        for exchange in (self.active, self.parsing, *self.pipeline):
            if exchange is not None:
                exchange.disconnected = True
                exchange.wake()
                if exchange.gone is not None:
                    gone, exchange.gone = exchange.gone, None
                    gone()
                task = exchange.task
                if task is not None and not exchange.response_complete:
                    # Nobody will read the answer: the app stops (the gateway drops its replica
                    # call) rather than relay a long answer to nowhere.
                    task.cancel()
        self.pipeline.clear()
        self.flow.lost()

    def data_received(self, data: bytes) -> None:
        if self.broken:
            return
        try:
            self.parser.feed_data(data)
            active = self.active
            if active is not None and not active.started:
                self._start(active)  # its body is still on its way: the app streams it
        except httptools.HttpParserUpgrade:
            # An Upgrade (h2c, websocket) is not taken: the request is answered as HTTP/1.1,
            # and the connection closed after it (the parser stops at an upgrade).
            self.broken = True
            if self.parsing is not None:
                self.parsing.keep_alive = False
        except httptools.HttpParserError as ex:
            # An exception raised in a callback comes back wrapped, the original as context.
            if isinstance(ex.__context__, _HeadTooLarge):
                self._refuse(431, "The request line and headers are larger than 64 KiB.")
            else:
                self._refuse(400, f"Invalid HTTP request received: {ex.__context__ or ex}.")

    def pause_writing(self) -> None:
        self.flow.pause()

    def resume_writing(self) -> None:
        self.flow.resume()

    # -- httptools callbacks --------------------------------------------------------------------
    def on_message_begin(self) -> None:
        self.idle_since = None
        self.head_since = _UNSTAMPED
        self._url = b""
        self._headers = []
        self._head_bytes = 0
        self._expect_continue = False
        self._connection_given = False

    def on_url(self, url: bytes) -> None:
        self._url += url
        self._head_bytes += len(url)
        if self._head_bytes > _MAX_HEAD_BYTES:
            raise _HeadTooLarge()

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_bytes += len(name) + len(value)
        if self._head_bytes > _MAX_HEAD_BYTES:
            raise _HeadTooLarge()
        name = name.lower()
        if name == b"expect" and value.lower() == b"100-continue":
            self._expect_continue = True
        elif name == b"connection":
            self._connection_given = True
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.head_since = None
        parser = self.parser
        kept_alive = parser.should_keep_alive()
        # llhttp takes HTTP/0.9, 1.0, 1.1 and 2.0 only, and keeps a request alive without a
        # Connection header only in 1.1. Asked, httptools formats the version with str.format,
        # whose code is cold at low load: ~2 µs of a request's CPU (perf, echo at concurrency 1).
        given = self._connection_given
        version = "1.1" if kept_alive and not given else parser.get_http_version()
        method = parser.get_method()
        target = self._url
        # (find, not ``in``: ``bytes in bytes`` first tries the operand as an int and formats
        # the TypeError it catches, ~1 µs a cold request)
        if target[:1] == b"/" and target.find(b"#") < 0:  # origin-form, as clients send it
            raw_path, _, query = target.partition(b"?")
        else:
            url = httptools.parse_url(target)  # raises on a target that is not a URL
            raw_path, query = url.path or b"/", url.query or b""
        path = raw_path.decode("latin-1")
        if "%" in path:
            path = urllib.parse.unquote(path, encoding="latin-1")
        scope: MutableMapping[str, Any] = {
            "type": "http",
            "asgi": _ASGI,
            "http_version": version,
            "method": method.decode("latin-1"),
            "scheme": "http",
            "path": path,
            "raw_path": raw_path,
            "query_string": query,
            "root_path": "",
            "headers": self._headers,
            "client": self.peer,
            "server": self.local,
        }
        exchange = _Exchange(
            self,
            scope,
            version != "1.0" and kept_alive,  # keep-alive
            self._expect_continue and version == "1.1",  # expects 100-continue
            method == b"HEAD",
            version == "1.0",
        )
        self.parsing = exchange
        if self.active is None:
            self.active = exchange  # started once its body is in, or at the end of this read
        else:  # pipelined: answered in order, after the one before it
            self.pipeline.append(exchange)
            self.pause_reading()

    def on_body(self, body: bytes) -> None:
        exchange = self.parsing
        if exchange is None or exchange.response_complete:
            return  # the answer went out already: the rest of the body is dropped
        exchange.body.append(body)
        exchange.buffered += len(body)
        if exchange.buffered > _HIGH_WATER:
            self.pause_reading()
        exchange.wake()

    def on_message_complete(self) -> None:
        exchange = self.parsing
        if exchange is not None:
            exchange.more_body = False
            exchange.wake()
            if exchange is self.active and not exchange.started:
                self._start(exchange, whole=True)
            if exchange.response_complete and self.active is None and not self.pipeline:
                self.idle_since = _UNSTAMPED  # the dropped rest of a body is all in

    # -- requests and answers -------------------------------------------------------------------
    def _start_pipelined(self, exchange: _Exchange) -> None:
        if self.active is exchange and not exchange.started:
            self._start(exchange, whole=not exchange.more_body)

    def _start(self, exchange: _Exchange, *, whole: bool = False) -> None:
        """Answer ``exchange``: without a task where the server's ``answer_now`` takes it
        (``whole``: its body is all here), else in a task running the app."""
        self.active = exchange
        exchange.started = True
        answer_now = self.server.answer_now
        if whole and answer_now is not None:
            body = exchange.take_body()
            try:
                if answer_now(exchange.scope, body, exchange):
                    return
            except Exception as ex:  # a defect: this request fails, the server goes on
                logger.error("the gateway failed on a request", exc_info=ex)
                exchange.fail()
                return
            exchange.body = [body] if body else []
        exchange.task = self.task(exchange.run())

    def task(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = self.loop.create_task(work)
        self.server.tasks.add(task)
        task.add_done_callback(self.server.tasks.discard)
        return task

    def answered(self, exchange: _Exchange) -> None:
        """The answer to ``exchange`` went out whole: close, or go on to the next request."""
        self.active = None
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if not exchange.keep_alive:
            transport.close()
            return
        self.resume_reading()
        if self.pipeline:
            # On the loop's next turn: this may run inside a replica connection's callback,
            # which the task-free path must not re-enter.
            following = self.active = self.pipeline.popleft()
            self.loop.call_soon(self._start_pipelined, following)
        elif not exchange.more_body:  # else the rest of its body is still to be read (dropped)
            self.idle_since = _UNSTAMPED

    def _refuse(self, status: int, message: str) -> None:
        """The client sent what cannot be parsed: answer it (if nothing else is being
        answered) and close the connection."""
        self.broken = True
        self.pipeline.clear()
        if self.transport is None:
            return
        if self.active is None:
            self.transport.write(_plain_answer(status, message))
            self.transport.close()
        elif self.active.more_body:  # its own body broke off: it cannot be answered
            self.transport.close()
        else:  # what follows a whole request broke: answer that one, then close
            self.active.keep_alive = False
            self.pause_reading()

    def pause_reading(self) -> None:
        if not self.reading_paused and self.transport is not None:
            self.reading_paused = True
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        if self.reading_paused and self.transport is not None and not self.pipeline:
            self.reading_paused = False
            self.transport.resume_reading()

    def write(self, data: bytes) -> None:
        if self.transport is not None:
            self.transport.write(data)

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def refuse_slow_head(self) -> None:
        self.head_since = None
        self._refuse(408, "The request's line and headers did not arrive in time.")

    def shutdown(self) -> None:
        """Close now if idle; else after the answer under way (the server is stopping)."""
        if self.active is None:
            self.close()
            return
        self.active.keep_alive = False
        self.pipeline.clear()


class _HeadTooLarge(Exception):
    pass


class _Exchange:
    """One request and its answer: the ``receive`` and ``send`` the app gets.

    No ``__slots__``: most fields keep their class-level default for the whole request, and an
    instance that sets only the rest is made in half the time (one per request).
    """

    started = False
    gone: Callable[[], None] | None = None
    task: asyncio.Task[None] | None = None  # the app's, when it runs in one
    buffered = 0
    more_body = True
    body_done = False  # the app got the last piece of the body
    disconnected = False
    waiter: asyncio.Future[None] | None = None
    response_started = False
    response_complete = False
    status = 0
    chunked = False
    remaining: int | None = None  # body bytes still owed under a content-length

    def __init__(
        self,
        conn: _Connection,
        scope: MutableMapping[str, Any],
        keep_alive: bool,
        expect_continue: bool,
        head_only: bool,
        http10: bool,
    ) -> None:
        self.conn = conn
        self.scope = scope
        self.keep_alive = keep_alive
        self.expect_continue = expect_continue
        self.head_only = head_only
        self.http10 = http10
        self.body: list[bytes] = []
        self.headers: list[tuple[bytes, bytes]] = []

    async def run(self, work: Callable[[], Awaitable[None]] | None = None) -> None:
        """Run the app on this request (or ``work``, the rest of a task-free answer), and make
        sure the client gets a whole answer or a closed connection."""
        try:
            if work is None:
                await self.conn.server.app(self.scope, self.receive, self.send)
            else:
                await work()
        except BaseException as ex:
            if not isinstance(ex, asyncio.CancelledError):
                logger.error("the gateway failed on a request", exc_info=ex)
            self.fail()
            if not isinstance(ex, Exception):
                raise
        else:
            if self.disconnected or self.response_complete:
                return
            logger.error("the gateway returned without a whole answer")
            self.fail()

    def fail(self) -> None:
        """The app failed on this request: a 500 if nothing was sent yet, then close (half an
        answer: only closing tells the client)."""
        if self.response_complete:
            return
        # A started answer's head is held (``status`` set) until its first body piece.
        nothing_sent = not self.response_started or self.status != 0
        if nothing_sent and not self.disconnected:
            self.conn.write(_plain_answer(500, "Internal Server Error"))
        self.conn.close()

    def wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def receive(self) -> Message:
        conn = self.conn
        if self.expect_continue:
            self.expect_continue = False
            if not self.response_started and self.more_body and not self.body:
                conn.write(_CONTINUE)
        # After the last piece of the body, a receive waits for the client to go away.
        while not (self.disconnected or self.response_complete) and (
            self.body_done or (not self.body and self.more_body)
        ):
            conn.resume_reading()
            self.waiter = conn.loop.create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        if self.disconnected or self.response_complete:
            return _DISCONNECT
        body = self.body[0] if len(self.body) == 1 else b"".join(self.body)
        self.body = []
        if self.buffered > _HIGH_WATER:
            conn.resume_reading()
        self.buffered = 0
        self.body_done = not self.more_body
        return {"type": "http.request", "body": body, "more_body": self.more_body}

    async def send(self, message: Message) -> None:
        conn = self.conn
        if conn.flow.paused and not self.disconnected:
            await conn.flow.drained(conn.loop)
        if self.disconnected:
            return
        kind = message["type"]
        if not self.response_started:
            if kind != "http.response.start":
                raise RuntimeError(f"expected 'http.response.start', got {kind!r}")
            # Held until the first body message, so that a whole answer is one write.
            self.response_started = True
            self.status = message["status"]
            self.headers = message.get("headers", [])
            return
        if self.response_complete or kind != "http.response.body":
            raise RuntimeError(f"unexpected {kind!r} after the answer")
        self._emit(message.get("body", b""), message.get("more_body", False))

    # -- the task-free path (proxy.Responder) ------------------------------------------------
    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self.conn.loop

    def take_body(self) -> bytes:
        """The whole body (the request is complete), handed over once."""
        body = self.body[0] if len(self.body) == 1 else b"".join(self.body)
        self.body = []
        self.buffered = 0
        return body

    def answer(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        if self.disconnected or self.response_started:
            return
        self.response_started = True
        self.status = status
        self.headers = headers
        self._emit(body, False)

    def on_disconnect(self, callback: Callable[[], None] | None) -> None:
        self.gone = callback

    def continue_in_task(
        self, work: Callable[[Callable[[Message], Awaitable[None]]], Awaitable[None]]
    ) -> None:
        async def run() -> None:
            await work(self.send)

        self.task = self.conn.task(self.run(run))

    # -- writing the answer -------------------------------------------------------------------
    def _emit(self, body: bytes, more: bool) -> None:
        conn = self.conn
        status = self.status
        if status:
            head = self._head(None if more else len(body))
            self.status = 0
            if self.head_only or status in _NO_BODY_STATUS:
                body = b""
            data = head + self._frame(body, more) if body or self.chunked else head
        else:
            data = self._frame(body, more)
        if data:
            conn.write(data)
        if not more:
            self.response_complete = True
            self.wake()
            conn.answered(self)

    def _head(self, whole_length: int | None) -> bytes:
        """Status line and headers; framing added from what the app gave and the request."""
        status = self.status
        lines = [_status_line(status)]
        length: int | None = None
        close_given = False
        for name, value in self.headers:
            # Names come lower-cased (ASGI); values were parsed by httptools or built here,
            # so neither can hold a line break.
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.lower().find(b"close") >= 0:
                self.keep_alive = False
                close_given = True
            lines += (name, b": ", value, b"\r\n")
        if status in _NO_BODY_STATUS or status < 200 or self.head_only:
            pass
        elif length is not None:
            self.remaining = length
        elif whole_length is not None:
            lines.append(b"content-length: %d\r\n" % whole_length)
        elif self.http10:
            self.keep_alive = False  # an HTTP/1.0 client reads to the end of the connection
        else:
            self.chunked = True
            lines.append(b"transfer-encoding: chunked\r\n")
        if self.expect_continue and self.more_body:
            # The client waits for a 100 that will not come, or sends the body anyway: which
            # one cannot be told, so the connection ends with this answer. (A body that is on
            # its way otherwise is read on and dropped, as uvicorn does.)
            self.keep_alive = False
        if not self.keep_alive and not close_given:
            lines.append(b"connection: close\r\n")
        lines.append(b"\r\n")
        return b"".join(lines)

    def _frame(self, body: bytes, more: bool) -> bytes:
        if self.chunked:
            piece = b"%x\r\n%s\r\n" % (len(body), body) if body else b""
            return piece if more else piece + b"0\r\n\r\n"
        if self.remaining is not None:
            if len(body) > self.remaining:
                raise RuntimeError("the answer is longer than its content-length")
            self.remaining -= len(body)
            if not more and self.remaining:
                raise RuntimeError("the answer is shorter than its content-length")
        return body
