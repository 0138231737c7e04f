"""The floor of a hop in Python: a bare callback proxy for ``bench/hop.py``, not a gateway.

uvloop and httptools both ways, as basin's gateway uses them, and only what any authenticated
proxy must do: the key's digest compared, the request line rewritten, the answer's framing and
request-id headers replaced. No task or future per request, no routing, split, limits,
timeouts, metrics or records. What basin's gateway costs beyond this is its own Python.

    python _floor_proxy.py PORT REPLICA_SOCKET KEY

Keeps 64 connections to the replica open (one per client connection in flight; wrk's at most).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import sys

import httptools
import uvloop

_DROPPED = frozenset({b"content-length", b"x-request-id", b"x-ms-request-id"})


class _Parsed(asyncio.Protocol):
    """A connection whose bytes go to an httptools parser calling back this object."""

    def __init__(self, parser: type[httptools.HttpRequestParser | httptools.HttpResponseParser]):
        self.parser = parser(self)
        self.transport: asyncio.Transport | None = None
        self.body: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.parser.feed_data(data)

    def on_body(self, body: bytes) -> None:
        self.body.append(body)


class _Replica(_Parsed):
    """A kept-alive connection to the replica; answers the client it was lent to."""

    def __init__(self, idle: list[_Replica]) -> None:
        super().__init__(httptools.HttpResponseParser)
        self.idle = idle
        self.client: _Client | None = None
        self.headers: list[bytes] = []

    def on_message_begin(self) -> None:
        self.headers, self.body = [b"HTTP/1.1 200 OK\r\n"], []

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        if name not in _DROPPED:
            self.headers += (name, b": ", value, b"\r\n")

    def on_message_complete(self) -> None:
        body = b"".join(self.body)
        self.headers.append(b"content-length: %d\r\n\r\n" % len(body))
        client, self.client = self.client, None
        self.idle.append(self)
        transport = client.transport if client is not None else None
        if transport is not None and not transport.is_closing():  # wrk may have closed it
            transport.write(b"".join(self.headers) + body)

    def connection_lost(self, exc: Exception | None) -> None:
        if self in self.idle:
            self.idle.remove(self)


class _Client(_Parsed):
    """One client connection: each whole request goes to an idle replica connection."""

    def __init__(self, idle: list[_Replica], digest: bytes) -> None:
        super().__init__(httptools.HttpRequestParser)
        self.idle = idle
        self.digest = digest
        self.lines: list[bytes] = []
        self.credential = b""

    def on_message_begin(self) -> None:
        self.lines, self.credential, self.body = [b"POST /score HTTP/1.1\r\n"], b"", []

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        if name == b"authorization":
            self.credential = value[7:]
        elif name != b"content-length":
            self.lines += (name, b": ", value, b"\r\n")

    def on_message_complete(self) -> None:
        assert self.transport is not None
        if not hmac.compare_digest(hashlib.sha256(self.credential).digest(), self.digest):
            self.transport.write(b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n")
            return
        body = b"".join(self.body)
        self.lines.append(b"content-length: %d\r\n\r\n" % len(body))
        replica = self.idle.pop()
        replica.client = self
        assert replica.transport is not None
        replica.transport.write(b"".join(self.lines) + body)


async def serve(port: int, replica_socket: str, key: str) -> None:
    loop = asyncio.get_running_loop()
    idle: list[_Replica] = []
    for _ in range(64):
        _, replica = await loop.create_unix_connection(lambda: _Replica(idle), replica_socket)
        idle.append(replica)
    digest = hashlib.sha256(key.encode()).digest()
    await loop.create_server(lambda: _Client(idle, digest), "127.0.0.1", port)
    print("ready", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    uvloop.run(serve(int(sys.argv[1]), sys.argv[2], sys.argv[3]))
