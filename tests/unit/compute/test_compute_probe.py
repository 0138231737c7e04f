"""HTTP probes against real loopback servers: 200 healthy; anything else, refused or silent not."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from basin.compute.local._probe import HttpProbe
from basin.compute.local._reactor import Reactor


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = 200 if self.path == "/ok" else 503
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[int]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield int(httpd.server_address[1])
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def reactor() -> Iterator[Reactor]:
    reactor = Reactor()
    yield reactor
    reactor.close()


def run(reactor: Reactor, probe: HttpProbe) -> bool:
    while probe.result is None:
        if time.monotonic() >= probe.deadline:
            probe.expire()
        reactor.poll(0.05)
    return bool(probe.result)


def test_status_200_is_healthy(server: int, reactor: Reactor) -> None:
    assert run(reactor, HttpProbe(reactor, server, "/ok", time.monotonic() + 30)) is True


def test_other_status_is_not(server: int, reactor: Reactor) -> None:
    assert run(reactor, HttpProbe(reactor, server, "/", time.monotonic() + 30)) is False


def test_nothing_listening_is_not(reactor: Reactor) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused
        assert run(reactor, HttpProbe(reactor, port, "/ok", time.monotonic() + 30)) is False


def test_a_silent_server_expires(reactor: Reactor) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]  # accepts (in the backlog) but never answers
        probe = HttpProbe(reactor, port, "/ok", time.monotonic() + 0.2)
        assert run(reactor, probe) is False


def test_garbage_is_not_healthy(reactor: Reactor) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        probe = HttpProbe(reactor, port, "/ok", time.monotonic() + 30)
        conn, _ = listener.accept()
        with conn:
            conn.sendall(b"SSH-2.0-OpenSSH 200\r\n")
            assert run(reactor, probe) is False
