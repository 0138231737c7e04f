"""The gateway's own HTTP/1.1 front server (gateway/front.py) over raw sockets: framing,
keep-alive, pipelining, 100-continue, bad requests, and a stop that lets answers finish."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator, MutableMapping
from typing import Any

import pytest

from basin.gateway.front import FrontServer
from basin.gateway.server import bind, new_event_loop


class _App:
    """ASGI app: ``/echo`` answers the body, ``/stream`` three chunks without a length,
    ``/slow`` after 0.3 s, ``/boom`` raises, ``/nothing`` returns without answering,
    ``/early`` answers without reading the body."""

    def __init__(self) -> None:
        self.closed = False
        self.seen: list[dict[str, Any]] = []

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        path = scope["path"]
        self.seen.append(
            {
                "path": path,
                "query": scope["query_string"],
                "raw": scope["raw_path"],
                "version": scope["http_version"],
            }
        )
        if path == "/early":
            await _reply(send, 401, b"no")
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if path == "/stream":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            for piece in (b"one", b"two", b"three"):
                await send({"type": "http.response.body", "body": piece, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        elif path == "/slow":
            await asyncio.sleep(0.3)
            await _reply(send, 200, b"slow")
        elif path == "/boom":
            raise RuntimeError("boom")
        elif path == "/boom-after-start":  # its head is held until a body piece: none came
            await send({"type": "http.response.start", "status": 200, "headers": []})
            raise RuntimeError("boom")
        elif path == "/nothing":
            return
        else:
            await _reply(send, 200, body)

    async def aclose(self) -> None:
        self.closed = True


async def _reply(send: Any, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [(b"x-app", b"1")]})
    await send({"type": "http.response.body", "body": body})


class _Running:
    def __init__(self) -> None:
        self.app = _App()
        self.server = FrontServer(self.app, keep_alive_s=0.5, head_timeout_s=1.0, graceful_s=5)
        self.sock = bind()
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        while not self.server.started:
            time.sleep(0.01)

    def _run(self) -> None:
        loop = new_event_loop()
        loop.run_until_complete(self.server.serve([self.sock]))
        loop.close()

    def connect(self) -> socket.socket:
        conn = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        return conn

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def front() -> Iterator[_Running]:
    running = _Running()
    yield running
    running.stop()


def _read_all(conn: socket.socket) -> bytes:
    data = b""
    while chunk := conn.recv(65536):
        data += chunk
    return data


def _read_answers(conn: socket.socket, count: int) -> list[bytes]:
    """``count`` answers framed by content-length (the only framing these tests expect)."""
    data = b""
    answers: list[bytes] = []
    while len(answers) < count:
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            assert chunk, f"closed after {answers}"
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
        while len(rest) < length:
            rest += conn.recv(65536)
        answers.append(head + b"\r\n\r\n" + rest[:length])
        data = rest[length:]
    return answers


def test_a_whole_answer_has_a_length_and_the_connection_is_kept(front: _Running) -> None:
    with front.connect() as conn:
        for body in (b"first", b"second"):
            conn.sendall(
                b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s"
                % (len(body), body)
            )
            (answer,) = _read_answers(conn, 1)
            assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
            assert b"content-length: %d\r\n" % len(body) in answer
            assert b"x-app: 1\r\n" in answer
            assert answer.endswith(b"\r\n\r\n" + body)


def test_pipelined_requests_are_answered_in_order(front: _Running) -> None:
    with front.connect() as conn:
        conn.sendall(
            b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nlast"
        )
        first, second = _read_answers(conn, 2)
    assert first.endswith(b"slow") and second.endswith(b"last")


@pytest.mark.parametrize(
    ("version", "connection", "kept"),
    [
        (b"1.1", b"", True),
        (b"1.1", b"Connection: keep-alive\r\n", True),
        (b"1.1", b"Connection: close\r\n", False),
        (b"1.1", b"Connection: Upgrade-Insecure, close\r\n", False),
        (b"1.0", b"", False),
        (b"1.0", b"Connection: keep-alive\r\n", False),  # 1.0 is never kept alive here
    ],
)
def test_the_version_and_connection_header_decide_keep_alive(
    front: _Running, version: bytes, connection: bytes, kept: bool
) -> None:
    with front.connect() as conn:
        conn.sendall(
            b"POST /echo HTTP/%s\r\nHost: x\r\n%sContent-Length: 2\r\n\r\nhi"
            % (version, connection)
        )
        (answer,) = _read_answers(conn, 1)
        conn.settimeout(1)
        closed = conn.recv(65536) == b"" if not kept else None
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n") and answer.endswith(b"hi")
    assert (b"connection: close\r\n" not in answer) is kept
    assert closed is (None if kept else True)
    assert front.app.seen[-1]["version"] == version.decode()


def test_a_streamed_answer_is_chunked(front: _Running) -> None:
    with front.connect() as conn:
        conn.sendall(b"GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = _read_all(conn)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in head and b"connection: close" in head
    assert body == b"3\r\none\r\n3\r\ntwo\r\n5\r\nthree\r\n0\r\n\r\n"


def test_http_1_0_gets_the_answer_then_the_connection_closes(front: _Running) -> None:
    with front.connect() as conn:
        conn.sendall(b"GET /stream HTTP/1.0\r\n\r\n")
        answer = _read_all(conn)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"transfer-encoding" not in head and b"connection: close" in head
    assert body == b"onetwothree"


def test_a_head_request_gets_no_body(front: _Running) -> None:
    with front.connect() as conn:
        conn.sendall(b"HEAD /echo HTTP/1.1\r\nHost: x\r\n\r\nGET /echo HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.2)
        data = conn.recv(65536)
    first, _, second = data.partition(b"\r\n\r\n")
    assert first.startswith(b"HTTP/1.1 200") and second.startswith(b"HTTP/1.1 200")


def test_100_continue_is_sent_when_the_body_is_read(front: _Running) -> None:
    with front.connect() as conn:
        conn.sendall(
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
        )
        assert conn.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"
        conn.sendall(b"hello")
        (answer,) = _read_answers(conn, 1)
    assert answer.endswith(b"hello")


def test_an_answer_before_the_awaited_body_closes_the_connection(front: _Running) -> None:
    with front.connect() as conn:
        conn.sendall(
            b"POST /early HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
        )
        answer = _read_all(conn)
    assert answer.startswith(b"HTTP/1.1 401") and b"connection: close" in answer
    assert b"100 Continue" not in answer


def test_an_early_answer_drops_the_rest_of_the_body_and_keeps_the_connection(
    front: _Running,
) -> None:
    with front.connect() as conn:
        conn.sendall(b"POST /early HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n")
        (answer,) = _read_answers(conn, 1)
        assert answer.startswith(b"HTTP/1.1 401")
        conn.sendall(
            b"x" * 200000 + b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok"
        )
        (answer,) = _read_answers(conn, 1)
    assert answer.endswith(b"\r\n\r\nok")


def test_a_large_body_arrives_whole(front: _Running) -> None:
    body = bytes(range(256)) * 4096  # 1 MiB, past the read pause
    with front.connect() as conn:
        conn.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body))
        conn.sendall(body)
        (answer,) = _read_answers(conn, 1)
    assert answer.endswith(b"\r\n\r\n" + body)


def test_a_chunked_request_body_arrives_whole(front: _Running) -> None:
    with front.connect() as conn:
        conn.sendall(
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
        )
        (answer,) = _read_answers(conn, 1)
    assert answer.endswith(b"\r\n\r\nabcde")


def test_path_and_query_are_split_and_unescaped(front: _Running) -> None:
    with front.connect() as conn:
        conn.sendall(b"GET /a%20b/c?x=1&y=%41 HTTP/1.1\r\nHost: x\r\n\r\n")
        _read_answers(conn, 1)
    assert front.app.seen[-1] == {
        "path": "/a b/c",
        "query": b"x=1&y=%41",
        "raw": b"/a%20b/c",
        "version": "1.1",
    }


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"NOT HTTP AT ALL\r\n\r\n", b"400"),
        (b"GET / HTTP/1.1\r\nx-request-id: a\rb\r\n\r\n", b"400"),
        (b"GET / HTTP/1.1\r\nx-big: " + b"a" * 70000 + b"\r\n\r\n", b"431"),
    ],
)
def test_a_bad_request_is_refused_and_the_connection_closed(
    front: _Running, request_bytes: bytes, status: bytes
) -> None:
    with front.connect() as conn:
        conn.sendall(request_bytes)
        answer = _read_all(conn)
    assert answer.startswith(b"HTTP/1.1 " + status) and b"connection: close" in answer


def test_a_body_that_breaks_off_closes_the_connection(front: _Running) -> None:
    with front.connect() as conn:
        conn.sendall(
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"3\r\nabc\r\nnot a chunk size\r\n"
        )
        assert _read_all(conn) == b""  # the app waited for the rest: nothing to answer


def test_garbage_after_a_whole_request_gets_its_answer_then_a_close(front: _Running) -> None:
    with front.connect() as conn:
        conn.sendall(
            b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\nNOT HTTP AT ALL\r\n\r\n"
        )
        answer = _read_all(conn)
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"slow")
    assert b"connection: close" in answer


def test_an_app_that_fails_gives_a_500_and_the_server_goes_on(front: _Running) -> None:
    for path in (b"/boom", b"/nothing", b"/boom-after-start"):
        with front.connect() as conn:
            conn.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path)
            assert _read_all(conn).startswith(b"HTTP/1.1 500")
    with front.connect() as conn:
        conn.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok")
        assert _read_answers(conn, 1)[0].endswith(b"ok")


def test_an_idle_connection_is_closed_after_the_keep_alive_time(front: _Running) -> None:
    with front.connect() as conn:
        conn.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok")
        _read_answers(conn, 1)
        started = time.monotonic()
        assert conn.recv(10) == b""  # closed by the server (keep_alive_s = 0.5)
        assert time.monotonic() - started < 4


def test_a_request_head_that_trickles_in_is_refused_and_closed(front: _Running) -> None:
    with front.connect() as conn:
        conn.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\n")  # and nothing more
        answer = _read_all(conn)  # head_timeout_s = 1.0
    assert answer.startswith(b"HTTP/1.1 408") and b"connection: close" in answer


def test_a_stop_lets_the_answer_under_way_finish_then_closes_the_app(front: _Running) -> None:
    with front.connect() as conn:
        conn.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.05)
        front.server.should_exit = True
        answer = _read_all(conn)
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"slow")
    assert b"connection: close" in answer
    front.thread.join(10)
    assert front.app.closed
    with pytest.raises(OSError):
        front.connect()
