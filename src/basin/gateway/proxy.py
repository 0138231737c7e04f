"""Forwarding one request to a replica and its answer back: streaming, timeout, 424, mirror copy.

The hot path. A body that arrives in one piece (the common case) is written to the replica
together with the request head in one write, and an answer that has fully arrived when its
headers are parsed goes back in one ``send``; larger bodies stream both ways with back-pressure.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Final, Protocol

from basin.gateway.balance import DeploymentState, ReplicaState
from basin.gateway.replies import (
    CLOSE,
    JSON,
    MODEL_ERROR_REASON,
    MODEL_ERROR_STATUS,
    Header,
    Send,
    error_body,
    send_reply,
    status_bytes,
)
from basin.gateway.upstream import Connection, UpstreamError

__all__ = ["MIRROR_MAX_BODY_BYTES", "Exchange", "Receive", "Responder", "forward", "forward_now"]

logger = logging.getLogger("basin.gateway")

Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]

# a streamed body past this is not mirrored (it is held in RAM)
MIRROR_MAX_BODY_BYTES: Final = 4 * 1024 * 1024
_PASSED_THROUGH: Final = 200  # Azure's front door turns every other replica status into a 424
_BODILESS: Final = frozenset({b"GET", b"HEAD", b"OPTIONS", b"DELETE"})
_SMALL: Final = 64 * 1024  # below this, head and body go out in one write


_Answer = tuple[int, list[Header], bytes]


class _TooLarge(Exception):
    pass


class _ClientGone(Exception):
    pass


class Exchange:
    """What one request was and what became of it (filled in as it goes).

    No ``__slots__``: most fields keep their class-level default, and an instance that sets
    only the rest is made in half the time (one per request).
    """

    deployment: DeploymentState | None = None
    body: bytes | None = None  # the whole body, when it is held (for a mirror copy)
    declared_length: int | None = None  # the client's content-length, if it sent one
    status = 0
    model_status: int | None = None
    upstream_s: float | None = None
    reason: str | None = None
    request_bytes = 0
    response_bytes = 0
    #: The client has been sent (part of) an answer: a failure now can only break it off.
    answering = False

    def __init__(
        self,
        method: bytes,
        head: bytes,
        request_id: bytes,
        id_headers: list[Header],
        client_request_id: bytes | None,
    ) -> None:
        self.method = method
        self.head = head  # request line and forwarded headers, without framing or the blank line
        self.request_id = request_id
        self.id_headers = id_headers
        self.client_request_id = client_request_id


async def forward(
    ex: Exchange,
    state: DeploymentState,
    receive: Receive,
    send: Send,
    *,
    max_body: int,
    mirror: Callable[[Exchange], None] | None,
    avoid: ReplicaState | None = None,
) -> None:
    """Send the request to a replica of ``state`` and its answer to the client.

    The caller has checked that the deployment has a ready replica and room under its limit.
    ``mirror`` is called with the exchange once its whole body is in ``ex.body`` (unless the
    body is too large to hold for a copy). ``avoid``: a replica that just closed a kept-alive
    socket this request was sent on, taken only if it is the only one.
    """
    ex.deployment = state
    replica = (state.pick_other(avoid) if avoid is not None else None) or state.pick()
    state.in_flight += 1
    replica.in_flight += 1
    try:
        await _forward(ex, state, replica, receive, send, max_body, mirror)
    finally:
        replica.in_flight -= 1
        state.leave()


async def _forward(
    ex: Exchange,
    state: DeploymentState,
    replica: ReplicaState,
    receive: Receive,
    send: Send,
    max_body: int,
    mirror: Callable[[Exchange], None] | None,
) -> None:
    message = await receive()
    if message["type"] == "http.disconnect":
        ex.status, ex.reason = 499, "client_disconnected"
        return
    body: bytes = message.get("body", b"")
    streamed = message.get("more_body", False)
    if not streamed and len(body) > max_body:
        await _too_large(ex, send, max_body)
        return
    started = time.perf_counter()
    conn: Connection | None = None
    try:
        async with asyncio.timeout(state.timeout_s):
            if streamed:
                conn = await _open(replica, ex, fresh=False)
                await _stream_body(ex, conn, body, receive, max_body, mirror is not None)
                if mirror is not None and ex.body is not None:
                    mirror(ex)
            else:
                ex.request_bytes = len(body)
                if mirror is not None:
                    ex.body = body
                    mirror(ex)  # a task: it starts once this one waits for the replica
                conn, replica = await _send_whole(ex, state, replica, body)
            await conn.response_head()
            await _relay(ex, state, replica, conn, send, started)
    except _TooLarge:
        _drop(conn, ex)
        await _too_large(ex, send, max_body)
    except _ClientGone:
        _drop(conn, ex)
        ex.status, ex.reason = 499, "client_disconnected"
    except (TimeoutError, UpstreamError, asyncio.CancelledError) as error:
        await _answer_failure(error, ex, state, replica, conn, send, started)


async def _answer_failure(
    error: TimeoutError | UpstreamError | asyncio.CancelledError,
    ex: Exchange,
    state: DeploymentState,
    replica: ReplicaState,
    conn: Connection | None,
    send: Send,
    started: float,
) -> None:
    """After a timeout, a replica that failed, or a client that went away (the front server
    cancels the request's task): drop the replica call (which cancels the request on its
    side) and give the client a whole 408 or 502 if nothing reached it yet; else re-raise,
    as only closing the connection can tell the client of half an answer."""
    _drop(conn, ex)
    if isinstance(error, asyncio.CancelledError):
        ex.status, ex.reason = 499, "client_disconnected"
        raise error
    timed_out = isinstance(error, TimeoutError)
    if ex.answering:
        ex.reason = "timeout_while_answering" if timed_out else "replica_failed_while_answering"
        raise error
    if isinstance(error, UpstreamError):
        await send_reply(send, *_unreachable(ex, state, replica, error, started))
    else:
        await send_reply(send, *_timed_out(ex, state, started))


def _timed_out(ex: Exchange, state: DeploymentState, started: float) -> _Answer:
    ex.status, ex.reason = 408, "timeout"
    ex.upstream_s = time.perf_counter() - started
    message = (
        f"Deployment {state.name!r} did not answer within its request_timeout_ms "
        f"({round(state.timeout_s * 1000)} ms)."
    )
    return 408, [JSON, *ex.id_headers, state.header], error_body("RequestTimeout", message)


def _unreachable(
    ex: Exchange, state: DeploymentState, replica: ReplicaState, error: Exception, started: float
) -> _Answer:
    ex.status, ex.reason = 502, "replica_unreachable"
    ex.upstream_s = time.perf_counter() - started
    logger.warning("replica %s of %s/%s: %s", replica.address, state.endpoint, state.name, error)
    # The cause names the replica's address: it goes to the record, not to the client.
    message = (
        f"A replica of deployment {state.name!r} could not be reached or broke off its "
        "answer; try again."
    )
    return 502, [JSON, *ex.id_headers, state.header], error_body("BadGateway", message)


async def _open(replica: ReplicaState, ex: Exchange, *, fresh: bool) -> Connection:
    conn, reused = await replica.pool.acquire(fresh=fresh)
    conn.begin(ex, head_only=ex.method == b"HEAD", reused=reused)
    return conn


def _drop(conn: Connection | None, ex: Exchange) -> None:
    """Abort ``conn`` if this exchange still holds it (not once it went back to the pool)."""
    if conn is not None and conn.owner is ex:
        conn.abort()


async def _send_whole(
    ex: Exchange, state: DeploymentState, replica: ReplicaState, body: bytes
) -> tuple[Connection, ReplicaState]:
    """Write head and body held in memory; retry once if the socket closed before one byte of
    an answer came, and on another replica if this one refuses connections (it died before the
    supervisor noticed: nothing was sent, so the request may go elsewhere).

    The retry after a closed socket goes to another replica where there is one: a replica that
    closes sockets with requests on them may be dying, and a new connection to it can still be
    accepted and then dropped (seen when replicas were SIGKILLed under load). A new connection
    that closes so is retried only where there is another replica: a kept-alive one may just
    have been closed by a replica that is well, so it is tried again even on the same one."""
    for attempt in (0, 1):
        try:
            if attempt:
                other = state.pick_other(replica)
                replica = other or replica
                conn = await _open(replica, ex, fresh=other is None)
            else:
                conn = await _open(replica, ex, fresh=False)
        except UpstreamError as error:
            other = state.pick_other(replica) if error.connect_failed else None
            if other is None:
                raise
            replica = other
            conn = await _open(replica, ex, fresh=False)
        _send_held(conn, ex.method, ex.head, body)
        if attempt or (not conn.reused and state.pick_other(replica) is None):
            return conn, replica
        # A reused socket may have been closed by the replica just before our request reached
        # it (nothing was processed then), and a dying replica may drop a new one: the request
        # can go again (the price: a request that itself kills replicas runs on two).
        try:
            await conn.response_head()
            return conn, replica
        except UpstreamError as error:
            conn.abort()
            if not error.before_response:
                raise
        except BaseException:  # a timeout: the caller does not hold this connection yet
            conn.abort()
            raise
    raise AssertionError("unreachable")


def _send_held(conn: Connection, method: bytes, head: bytes, body: bytes) -> None:
    """Frame a request whose body is held whole and write it: in one write below ``_SMALL``,
    else the head and then the body (not copied into one buffer)."""
    if body or method not in _BODILESS:
        head = b"%scontent-length: %d\r\n\r\n" % (head, len(body))
    else:
        head += b"\r\n"
    if len(body) < _SMALL:
        conn.send(head + body)
    else:
        conn.send(head)
        conn.send(body)


async def _stream_body(
    ex: Exchange,
    conn: Connection,
    first: bytes,
    receive: Receive,
    max_body: int,
    keep_body: bool,
) -> None:
    """Pass a body that arrives in pieces on as it comes.

    With the client's content-length, the pieces go on as they are; without one, chunked.
    """
    length = ex.declared_length
    chunked = length is None
    if length is None:
        conn.send(ex.head + b"transfer-encoding: chunked\r\n\r\n")
    else:
        conn.send(b"%scontent-length: %d\r\n\r\n" % (ex.head, length))
    kept: list[bytes] | None = [] if keep_body else None
    chunk = first
    total = 0
    more = True
    while True:
        if chunk:
            total += len(chunk)
            if total > max_body:
                raise _TooLarge()
            if kept is not None:
                kept = kept if total <= MIRROR_MAX_BODY_BYTES else None
                if kept is not None:
                    kept.append(chunk)
            if chunked:
                chunk = b"%x\r\n%s\r\n%s" % (len(chunk), chunk, b"" if more else b"0\r\n\r\n")
            await conn.send_chunk(chunk)
        elif not more and chunked:
            await conn.send_chunk(b"0\r\n\r\n")
        if not more:
            break
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone()
        chunk = message.get("body", b"")
        more = message.get("more_body", False)
    ex.request_bytes = total
    if kept is not None:
        ex.body = b"".join(kept)


async def _relay(
    ex: Exchange,
    state: DeploymentState,
    replica: ReplicaState,
    conn: Connection,
    send: Send,
    started: float,
) -> None:
    """Send the replica's answer to the client: 200 as is, anything else as a 424.

    Nothing reaches the client before the whole answer if it is small and of known length
    (as on the task-free path), else before its first piece: a replica that breaks off
    before then still gets the client a whole answer (502, or 408 at the timeout), not a
    broken one (``ex.answering`` says which)."""
    headers = _answer_headers(ex, state, conn)
    body = conn.take_body()
    if body is None and _waited_for_whole(conn):
        pieces = []
        while (piece := await conn.read_body()) is not None:
            pieces.append(piece)
        body = b"".join(pieces)
    if body is not None:  # all of it is here already: one send, and the socket goes back first
        replica.pool.release(conn)
        ex.upstream_s = time.perf_counter() - started
        ex.response_bytes = len(body)
        ex.answering = True
        await send({"type": "http.response.start", "status": ex.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return
    chunk = await conn.read_body()
    ex.answering = True
    await send({"type": "http.response.start", "status": ex.status, "headers": headers})
    sent = 0
    while chunk is not None:
        sent += len(chunk)
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
        chunk = await conn.read_body()
    replica.pool.release(conn)
    ex.upstream_s = time.perf_counter() - started
    ex.response_bytes = sent
    await send({"type": "http.response.body", "body": b""})


def _answer_headers(ex: Exchange, state: DeploymentState, conn: Connection) -> list[Header]:
    """The replica's headers and the gateway's; sets the exchange's status (200, else 424)."""
    status = conn.status
    headers = conn.headers  # this exchange's own list: safe to extend
    headers.append(state.header)
    headers += ex.id_headers
    ex.model_status = status
    if status == _PASSED_THROUGH:
        ex.status = status
    else:
        ex.status, ex.reason = 424, "model_error"
        headers.append((MODEL_ERROR_STATUS, status_bytes(status)))
        headers.append(MODEL_ERROR_REASON)
    return headers


def _waited_for_whole(conn: Connection) -> bool:
    """A small answer of known length is sent on only once all of it is in (as uvicorn writes
    head and body apart, its body may come in a later read): a replica that breaks off before
    then gets the client a whole 502, not a broken answer."""
    length = conn.length
    return length is not None and length <= _SMALL


async def _too_large(ex: Exchange, send: Send, max_body: int) -> None:
    ex.status, ex.reason = 413, "payload_too_large"
    headers = [JSON, CLOSE, *ex.id_headers]
    if ex.deployment is not None:
        headers.append(ex.deployment.header)
    await send_reply(
        send,
        413,
        headers,
        error_body("PayloadTooLarge", f"The request body is larger than {max_body} bytes."),
    )


async def send_copy(state: DeploymentState, method: bytes, head: bytes, body: bytes) -> int:
    """Send a mirrored copy to a replica of ``state``, read and drop its answer; its status.

    Never raises: 408, 429, 502 and 503 stand for what went wrong.
    """
    if not state.replicas:
        return 503
    if not state.has_room():
        return 429  # the mirror never queues, nor takes capacity it does not have
    replica = state.pick()
    state.in_flight += 1
    replica.in_flight += 1
    conn: Connection | None = None
    token = object()
    try:
        async with asyncio.timeout(state.timeout_s):
            conn, reused = await replica.pool.acquire(fresh=False)
            conn.begin(token, head_only=method == b"HEAD", reused=reused)
            _send_held(conn, method, head, body)
            await conn.response_head()
            while await conn.read_body() is not None:
                pass
            replica.pool.release(conn)
            return conn.status
    except TimeoutError:
        return 408
    except UpstreamError:
        return 502
    finally:
        if conn is not None and conn.owner is token:
            conn.abort()
        replica.in_flight -= 1
        state.leave()


# -- answering without a task --------------------------------------------------------------------
class Responder(Protocol):
    """The client side of a request answered without a task (the front server's exchange)."""

    loop: asyncio.AbstractEventLoop
    disconnected: bool  # the client went away

    def answer(self, status: int, headers: list[Header], body: bytes) -> None:
        """Send a whole answer at once."""

    def on_disconnect(self, callback: Callable[[], None] | None) -> None:
        """Call ``callback`` if the client goes away before the answer is sent."""

    def continue_in_task(self, work: Callable[[Send], Awaitable[None]]) -> None:
        """Go on in a task (``work(send)``, ASGI's send), for an answer that must stream."""


def forward_now(
    ex: Exchange,
    state: DeploymentState,
    body: bytes,
    client: Responder,
    deadlines: Deadlines,
    finish: Callable[[], None],
    retry: Callable[[ReplicaState], None],
) -> bool:
    """Send a request held whole to a replica on a kept-alive connection, and answer the
    client from the connection's callbacks: no task, no future, one write each way.

    Returns ``False`` (having done nothing) when no kept-alive connection is free: the
    caller then takes the general path (:func:`forward`). ``finish`` is called once the
    exchange has ended, whatever its end; ``retry(replica)`` instead of it when the kept-alive
    socket turned out to be closed before the replica read the request (the general path
    sends it again, avoiding that replica). The caller has checked that the deployment has
    room.
    """
    replica = state.pick()
    conn = replica.pool.take_idle()
    if conn is None:
        return False
    ex.deployment = state
    ex.request_bytes = len(body)
    state.in_flight += 1
    replica.in_flight += 1
    conn.begin(ex, head_only=ex.method == b"HEAD", reused=True)
    started = time.perf_counter()
    # The request goes out first: what follows runs while the replica works on it.
    _send_held(conn, ex.method, ex.head, body)
    _Now(ex, state, replica, conn, client, deadlines, finish, retry, started)
    return True


class Expiring(Protocol):
    """What :class:`Deadlines` watches: something told when its time is up."""

    def expire(self) -> None: ...


class Deadlines:
    """The timeouts of task-free exchanges under one timer, set for the earliest deadline
    pending and moved on when it fires, instead of a timer each (uvloop's ``call_at`` and
    ``cancel`` cost about 2 µs a request; this is a dict entry)."""

    def __init__(self) -> None:
        self._pending: dict[Expiring, float] = {}
        self._timer: asyncio.TimerHandle | None = None

    def add(self, item: Expiring, loop: asyncio.AbstractEventLoop, timeout_s: float) -> None:
        deadline = loop.time() + timeout_s
        self._pending[item] = deadline
        timer = self._timer
        if timer is None or deadline < timer.when():
            if timer is not None:
                timer.cancel()
            self._timer = loop.call_at(deadline, self._fire, loop)

    def remove(self, item: Expiring) -> float | None:
        """Stop watching ``item``; its deadline (loop time), if it was watched."""
        return self._pending.pop(item, None)

    def _fire(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        now = loop.time()
        for item in [item for item, deadline in self._pending.items() if deadline <= now]:
            del self._pending[item]
            try:
                item.expire()
            except Exception:  # a defect in one request must not stop the other deadlines
                logger.exception("the gateway failed on a request's timeout")
        if self._pending:
            self._timer = loop.call_at(min(self._pending.values()), self._fire, loop)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class _Now:
    """One request answered from callbacks: the replica's connection, a deadline, the client."""

    __slots__ = (
        "client",
        "conn",
        "deadlines",
        "ended",
        "ex",
        "finish",
        "left",
        "replica",
        "retry",
        "started",
        "state",
    )

    def __init__(
        self,
        ex: Exchange,
        state: DeploymentState,
        replica: ReplicaState,
        conn: Connection,
        client: Responder,
        deadlines: Deadlines,
        finish: Callable[[], None],
        retry: Callable[[ReplicaState], None],
        started: float,
    ) -> None:
        self.ex, self.state, self.replica, self.conn = ex, state, replica, conn
        self.client, self.finish, self.retry = client, finish, retry
        self.started = started
        self.deadlines = deadlines
        self.left = self.ended = False
        # (client.loop: asyncio.get_running_loop() costs a getpid() on Python 3.11)
        deadlines.add(self, client.loop, state.timeout_s)
        conn.listener = self._moved
        client.on_disconnect(self._client_gone)

    def _moved(self) -> None:
        try:
            self._follow()
        except Exception as error:  # a defect: this request fails, nothing else does
            logger.error("the gateway failed on a request", exc_info=error)
            self._leave()
            self.conn.abort()
            self.ex.status, self.ex.reason = 500, "internal_error"
            self.client.answer(
                500, [JSON, *self.ex.id_headers], error_body("InternalError", "The gateway failed.")
            )
            self._end()

    def _follow(self) -> None:
        conn = self.conn
        if conn.error is not None:
            self._failed(conn.error)
        elif conn.complete:
            ex = self.ex
            ex.upstream_s = time.perf_counter() - self.started
            body = conn.take_body() or b""
            ex.response_bytes = len(body)
            headers = _answer_headers(ex, self.state, conn)  # (sets ex.status)
            # The answer goes out first; the bookkeeping follows while the client reads it.
            self.client.answer(ex.status, headers, body)
            self._leave()
            self.replica.pool.release(conn)
            self._end()
        elif conn.head_done and not _waited_for_whole(conn):
            self._stream()

    def _stream(self) -> None:
        """An answer that did not come in one read (large, or streamed by the scoring
        script): relay it from a task as it comes, under the time left of the timeout."""
        deadline = self.deadlines.remove(self)
        assert deadline is not None
        self.conn.listener = None
        self.client.on_disconnect(None)
        ex, state, replica, conn = self.ex, self.state, self.replica, self.conn

        async def relay(send: Send) -> None:
            try:
                async with asyncio.timeout_at(deadline):
                    await _relay(ex, state, replica, conn, send, self.started)
            except (TimeoutError, UpstreamError, asyncio.CancelledError) as error:
                await _answer_failure(error, ex, state, replica, conn, send, self.started)
            except BaseException:
                _drop(conn, ex)
                raise
            finally:
                self._leave()
                if ex.status == 0:
                    ex.status = 500
                self._end()

        self.client.continue_in_task(relay)

    def _failed(self, error: UpstreamError) -> None:
        self._leave()
        self.conn.abort()
        if error.before_response:
            # Not one byte of an answer came: most often the replica closed this kept-alive
            # socket just as the request went out, so nothing was processed. The general path
            # sends it again, to another replica if there is one, as it does for its own reused
            # sockets (if the replica instead died while working on it, it runs again there).
            self.retry(self.replica)
            return
        self.client.answer(*_unreachable(self.ex, self.state, self.replica, error, self.started))
        self._end()

    def expire(self) -> None:
        """Its deadline passed (called by :class:`Deadlines`)."""
        self._leave()
        self.conn.abort()  # cancels the request on the replica's side
        self.client.answer(*_timed_out(self.ex, self.state, self.started))
        self._end()

    def _client_gone(self) -> None:
        self._leave()
        self.conn.abort()
        self.ex.status, self.ex.reason = 499, "client_disconnected"
        self._end()

    def _end(self) -> None:
        if not self.ended:
            self.ended = True
            self.finish()

    def _leave(self) -> None:
        """Stop listening and give the deployment's capacity back (once)."""
        if self.left:
            return
        self.left = True
        self.deadlines.remove(self)
        self.conn.listener = None
        self.client.on_disconnect(None)
        self.replica.in_flight -= 1
        self.state.leave()
