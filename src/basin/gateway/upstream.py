"""A small HTTP/1.1 client for replicas: keep-alive connection pools over asyncio + httptools.

Chosen over ``httpx.AsyncClient`` by measurement (``bench/gateway.py clients``): the gateway
talks to a few loopback replicas over plain HTTP/1.1, so a protocol object that writes one
pre-built request head and parses the answer with httptools does a fraction of httpx's work.

One :class:`Connection` carries one exchange at a time. The caller writes the request
(:meth:`Connection.send` / :meth:`Connection.send_chunk`), awaits :meth:`Connection.response_head`
and then :meth:`Connection.read_body` until it returns ``None``; :meth:`ReplicaPool.release` puts a
connection whose answer was read to the end back into its pool.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from typing import Final, cast

import httptools

from basin.gateway.flow import WriteFlow
from basin.gateway.table import UNIX_PREFIX

__all__ = ["Connection", "ReplicaPool", "UpstreamError"]

# Response headers the gateway never passes back: hop-by-hop framing (the front server frames the
# answer to the client itself), the replica's server name, and the request ids (the gateway sets them).
DROPPED_RESPONSE_HEADERS: Final = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"transfer-encoding",
        b"proxy-connection",
        b"upgrade",
        b"trailer",
        b"server",
        b"x-request-id",
        b"x-ms-request-id",
        b"x-ms-client-request-id",
    }
)
# bytes of response body buffered before reading from the replica pauses
_HIGH_WATER: Final = 256 * 1024
_LOW_WATER: Final = 64 * 1024
# below uvicorn's 5 s keep-alive timeout: never reuse a socket it may be closing
IDLE_MAX_S: Final = 3.0


class UpstreamError(Exception):
    """The replica could not be reached, or broke the exchange off."""

    #: True when no connection could be made at all (nothing was sent anywhere).
    connect_failed = False

    def __init__(self, message: str, *, before_response: bool = False) -> None:
        super().__init__(message)
        # True when not one byte of an answer arrived: a replayable request may be sent again.
        self.before_response = before_response


class Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection to a replica; one exchange at a time."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._flow = WriteFlow()  # the socket's: it outlives each exchange on it
        self.closed = False
        self.idle_since = 0.0
        self.reused = False
        self.owner: object = None
        #: Called at the end of each read and when the connection is lost: the gateway's
        #: task-free path for whole requests follows the exchange with it.
        self.listener: Callable[[], None] | None = None
        self._reset()

    def _reset(self) -> None:
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.head_done = False
        self.complete = False
        self._keep_alive = False
        self._framed = False
        self._got_bytes = False
        self._head_only = False
        self._error: UpstreamError | None = None
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._waiter: asyncio.Future[None] | None = None
        self._reading_paused = False

    # -- asyncio.Protocol ----------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self._got_bytes = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as ex:
            self._fail(UpstreamError(f"the replica sent a malformed answer ({ex})"))
            self.abort()
        if self.listener is not None:  # once per read: the answer is whole, or it streams
            self.listener()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.head_done and not self.complete and not self._framed:
            self.on_message_complete()  # an answer without length ends when the socket closes
        elif not self.complete:
            self._fail(
                UpstreamError(
                    "the replica closed the connection", before_response=not self._got_bytes
                )
            )
        self._flow.lost()
        if self.listener is not None:
            self.listener()

    def pause_writing(self) -> None:
        self._flow.pause()

    def resume_writing(self) -> None:
        self._flow.resume()

    # -- httptools callbacks --------------------------------------------------------------------
    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        if name == b"content-length":
            self._framed = True
        elif name == b"transfer-encoding":
            self._framed = True
            return
        if name not in DROPPED_RESPONSE_HEADERS:
            self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        if status < 200:  # an interim answer (we never send Expect, so this is rare): skip it
            self.headers = []
            self._framed = False
            return
        self.status = status
        self.head_done = True
        if self._head_only:
            self.complete = True
            self.closed = True  # the parser would wait for a body: never reuse after HEAD
        self._wake()

    def on_body(self, body: bytes) -> None:
        self._chunks.append(body)
        self._buffered += len(body)
        if self._buffered > _HIGH_WATER and not self._reading_paused and self._transport:
            self._reading_paused = True
            self._transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        if self.status == 0:  # end of an interim answer
            return
        self.complete = True
        # Asked now: once the message is complete the parser no longer knows.
        self._keep_alive = self._parser.should_keep_alive()
        self._wake()

    # -- the exchange ---------------------------------------------------------------------------
    def begin(self, owner: object = None, *, head_only: bool = False, reused: bool = False) -> None:
        """Start a new exchange on this (idle) connection, on behalf of ``owner``.

        The owner may abort the connection only while it is still its own: once released to
        the pool, another exchange may be using it.
        """
        self._reset()
        self.owner = owner
        self.listener = None
        self._head_only = head_only
        self.reused = reused

    def send(self, data: bytes) -> None:
        """Write bytes without waiting (for a head and a body already in memory)."""
        assert self._transport is not None
        self._transport.write(data)

    async def send_chunk(self, data: bytes) -> None:
        """Write bytes, waiting while the replica is not reading (a streamed request body)."""
        if self.closed:
            raise self._error or UpstreamError("the replica closed the connection")
        assert self._transport is not None
        self._transport.write(data)
        if self._flow.paused:
            await self._flow.drained(self._loop)
            if self.closed and not self.complete:
                raise self._error or UpstreamError("the replica closed the connection")

    async def response_head(self) -> None:
        """Wait until the status line and headers of the answer have arrived."""
        while not self.head_done:
            if self._error is not None:
                raise self._error
            await self._wait()

    async def read_body(self) -> bytes | None:
        """The next piece of the answer's body (``b""`` never), or ``None`` at its end."""
        while True:
            if self._chunks:
                chunk = self._chunks.popleft()
                self._buffered -= len(chunk)
                if self._reading_paused and self._buffered < _LOW_WATER and self._transport:
                    self._reading_paused = False
                    self._transport.resume_reading()
                return chunk
            if self.complete:
                return None
            if self._error is not None:
                raise self._error
            await self._wait()

    def take_body(self) -> bytes | None:
        """The whole body if it has all arrived already (the common case), else ``None``."""
        if not self.complete:
            return None
        chunks = self._chunks
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)  # one read: no copy
        chunks.clear()
        self._buffered = 0
        return body

    @property
    def length(self) -> int | None:
        """The answer's content-length, if it has one."""
        for name, value in self.headers:
            if name == b"content-length":
                return int(value) if value.isdigit() else None
        return None

    @property
    def error(self) -> UpstreamError | None:
        return self._error

    @property
    def reusable(self) -> bool:
        return self.complete and self._keep_alive and not self.closed

    def abort(self) -> None:
        """Drop the connection at once (a timeout, a client that went away)."""
        self.closed = True
        if self._transport is not None:
            self._transport.abort()

    def close(self) -> None:
        self.closed = True
        if self._transport is not None:
            self._transport.close()

    # -- helpers -------------------------------------------------------------------------------
    async def _wait(self) -> None:
        self._waiter = self._loop.create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _fail(self, error: UpstreamError) -> None:
        if self._error is None:
            self._error = error
        self._wake()


class ReplicaPool:
    """Idle keep-alive connections to one replica address (``host:port``)."""

    def __init__(self, address: str, *, max_idle: int = 64) -> None:
        self.address = address
        #: The replica's Unix socket (``unix:/path``); else None, and ``host``/``port`` say where.
        self.path: str | None = None
        self.host, self.port = "", 0
        if address.startswith(UNIX_PREFIX):
            self.path = address[len(UNIX_PREFIX) :]
        else:
            host, _, port = address.rpartition(":")
            self.host, self.port = host.strip("[]") or "127.0.0.1", int(port)
        self.max_idle = max_idle
        self._idle: list[Connection] = []
        self.closed = False

    def take_idle(self) -> Connection | None:
        """A kept-alive connection from the pool, if one is still fresh (else ``None``)."""
        now = time.monotonic()
        idle = self._idle
        while idle:
            conn = idle.pop()  # LIFO: the most recently used socket is the warmest
            if not conn.closed and now - conn.idle_since < IDLE_MAX_S:
                return conn
            conn.close()
        return None

    async def acquire(self, *, fresh: bool = False) -> tuple[Connection, bool]:
        """A ready connection and whether it was reused from the pool (never, if ``fresh``)."""
        if not fresh:
            conn = self.take_idle()
            if conn is not None:
                return conn, True
        loop = asyncio.get_running_loop()
        try:
            if self.path is not None:
                _, conn = await loop.create_unix_connection(lambda: Connection(loop), self.path)
            else:
                _, conn = await loop.create_connection(
                    lambda: Connection(loop), self.host, self.port
                )
        except OSError as ex:
            error = UpstreamError(
                f"cannot connect to replica {self.address} ({ex.strerror or ex})",
                before_response=True,
            )
            error.connect_failed = True
            raise error from None
        return conn, False

    def release(self, conn: Connection) -> None:
        """Keep ``conn`` for the next request if its exchange ended cleanly, else close it."""
        conn.owner = None
        if self.closed or not conn.reusable or len(self._idle) >= self.max_idle:
            conn.close()
            return
        conn.idle_since = time.monotonic()
        self._idle.append(conn)

    def close(self) -> None:
        """Close idle connections now; busy ones are closed when they are released."""
        self.closed = True
        while self._idle:
            self._idle.pop().close()
