"""The replica client against scripted raw HTTP servers on loopback."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import pytest

from basin.gateway import DeploymentRoute, EndpointRoute, GatewayApp, RoutingTable
from basin.gateway.upstream import Connection, ReplicaPool, UpstreamError

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[None]]
OK = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return head + await reader.readexactly(int(line.split(b":")[1]))
    return head


async def _serve(handler: Handler) -> tuple[asyncio.Server, str, list[int]]:
    """A server calling ``handler(reader, writer, connection_number)``."""
    connections: list[int] = []

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(len(connections))
        try:
            await handler(reader, writer, len(connections) - 1)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"127.0.0.1:{port}", connections


async def _get(
    pool: ReplicaPool, request: bytes = b"GET / HTTP/1.1\r\nhost: x\r\n\r\n"
) -> tuple[Connection, bytes]:
    conn, reused = await pool.acquire()
    conn.begin(reused=reused)
    conn.send(request)
    await conn.response_head()
    parts = []
    while (chunk := await conn.read_body()) is not None:
        parts.append(chunk)
    return conn, b"".join(parts)


def run(coro: Awaitable[Any]) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 20))


def test_keep_alive_connections_are_reused() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        while True:
            await _read_request(reader)
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nDate: x\r\nServer: y\r\n"
                b"X-Request-Id: z\r\nX-Custom: v\r\n\r\nok"
            )

    async def main() -> None:
        server, address, connections = await _serve(handler)
        pool = ReplicaPool(address)
        for _ in range(3):
            conn, body = await _get(pool)
            assert (conn.status, body) == (200, b"ok")
            # names lower-cased; framing, server and request ids are left to the gateway
            assert conn.headers == [(b"content-length", b"2"), (b"date", b"x"), (b"x-custom", b"v")]
            pool.release(conn)
        assert connections == [0]
        conn, reused = await pool.acquire()
        assert reused
        pool.close()
        server.close()

    run(main())


def test_chunked_and_close_delimited_answers() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await _read_request(reader)
        if n == 0:
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n")
            await writer.drain()
            await asyncio.sleep(0.05)
            writer.write(b"2\r\nde\r\n0\r\n\r\n")
            await _read_request(reader)  # keep-alive: a second request on this socket
            writer.write(OK)
        else:
            writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil-close")
            await writer.drain()

    async def main() -> None:
        server, address, _ = await _serve(handler)
        pool = ReplicaPool(address)
        conn, body = await _get(pool)
        assert body == b"abcde" and conn.headers == []
        assert conn.reusable
        pool.release(conn)
        conn, body = await _get(pool)
        assert body == b"ok"
        conn.close()
        conn, body = await _get(pool)
        assert body == b"until-close"
        assert not conn.reusable
        pool.release(conn)
        assert not pool._idle  # a closed connection is not kept
        server.close()

    run(main())


def test_head_answers_end_with_their_headers() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
        await asyncio.sleep(5)

    async def main() -> None:
        server, address, _ = await _serve(handler)
        pool = ReplicaPool(address)
        conn, _ = await pool.acquire()
        conn.begin(head_only=True)
        conn.send(b"HEAD / HTTP/1.1\r\nhost: x\r\n\r\n")
        await conn.response_head()
        assert conn.take_body() == b""
        assert not conn.reusable
        conn.close()
        server.close()

    run(main())


def test_failures_say_whether_any_answer_had_started() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await _read_request(reader)
        if n == 1:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\npart")
        elif n == 2:
            writer.write(b"NOT HTTP AT ALL\r\n\r\n")
        await writer.drain()

    async def main() -> None:
        server, address, _ = await _serve(handler)
        pool = ReplicaPool(address)
        with pytest.raises(UpstreamError) as silent:
            await _get(pool)
        assert silent.value.before_response
        with pytest.raises(UpstreamError) as cut:
            await _get(pool)
        assert not cut.value.before_response
        with pytest.raises(UpstreamError, match="malformed"):
            await _get(pool)
        server.close()
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            nobody = f"127.0.0.1:{sock.getsockname()[1]}"
        with pytest.raises(UpstreamError, match="cannot connect") as refused:
            await ReplicaPool(nobody).acquire()
        assert refused.value.before_response

    run(main())


def test_a_large_answer_pauses_reading_until_it_is_consumed() -> None:
    size = 4 * 1024 * 1024

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
        writer.write(b"z" * size)
        await writer.drain()

    async def main() -> None:
        server, address, _ = await _serve(handler)
        pool = ReplicaPool(address)
        conn, _ = await pool.acquire()
        conn.begin()
        conn.send(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
        await conn.response_head()
        await asyncio.sleep(0.2)  # let the replica write; the connection stops reading
        assert conn._reading_paused and not conn.complete
        received = 0
        while (chunk := await conn.read_body()) is not None:
            received += len(chunk)
        assert received == size
        server.close()

    run(main())


async def _call_app(
    app: GatewayApp, path: str, body: bytes
) -> tuple[int, dict[bytes, bytes], bytes]:
    """One request through the ASGI app, without a server in front."""
    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"authorization", b"Bearer k"), (b"content-length", str(len(body)).encode())],
    }
    sent: list[MutableMapping[str, Any]] = []
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> MutableMapping[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return (
        sent[0]["status"],
        dict(sent[0]["headers"]),
        b"".join(m.get("body", b"") for m in sent[1:]),
    )


def test_a_stale_kept_alive_socket_is_retried_on_a_new_one() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        request = await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(request), request))
        await writer.drain()
        if n == 0:
            # The replica drops the kept-alive socket when the next request arrives, unread,
            # as a server closing an idle connection at that instant does.
            await reader.read(1)

    async def main() -> None:
        server, address, connections = await _serve(handler)
        route = EndpointRoute(
            "ep", keys=("k",), traffic={"b": 100}, deployments={"b": DeploymentRoute((address,))}
        )
        app = GatewayApp(RoutingTable([route]))
        first = await _call_app(app, "/endpoints/ep/score", b"one")
        second = await _call_app(app, "/endpoints/ep/score", b"two")
        assert first[0] == 200 and first[2].endswith(b"one")
        assert second[0] == 200 and second[2].endswith(b"two")
        assert connections == [0, 1]
        await app.aclose()
        server.close()

    run(main())
