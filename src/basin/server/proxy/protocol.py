"""``ProxyProtocol``: uvicorn's HTTP protocol that also speaks the forward-proxy part of HTTP.

A connection's first request decides what it is:

* ``CONNECT host:443`` to a host the proxy serves: answer 200, turn the same connection into a
  TLS server presenting a certificate issued for ``host``, and serve the requests inside it with
  the proxy's ASGI app (in this process, no extra hop: the bytes reach the blob service as they
  would on its own port);
* ``CONNECT host:port`` that passthrough allows: a byte relay to the real destination (TLS stays
  end to end; the client checks the real server's certificate);
* any other ``CONNECT``: ``403`` whose reason phrase names the host (what clients show);
* anything else (``GET http://host/path``, as clients send plain-HTTP requests to a proxy):
  served by the ASGI app like any request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from dataclasses import dataclass
from typing import Any, ClassVar, cast

from basin.server.blob.protocol import MetadataCaseProtocol
from basin.server.proxy.app import TUNNEL_TARGET, ProxyApp, refusal, split_host_port
from basin.tls import LeafCertificates

__all__ = ["ProxyFront", "ProxyProtocol"]

logger = logging.getLogger("basin.proxy")

_CONNECT = b"CONNECT "
_MAX_HEAD = 16 * 1024
_HANDSHAKE_TIMEOUT_S = 30.0
_DIAL_TIMEOUT_S = 15.0
_ESTABLISHED = b"HTTP/1.1 200 Connection Established\r\n\r\n"
_QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)


@dataclass(frozen=True)
class ProxyFront:
    """What every proxy connection shares: the dispatching app and the leaf certificates."""

    app: ProxyApp
    certificates: LeafCertificates


class ProxyProtocol(MetadataCaseProtocol):
    """See the module docstring; ``bound(front)`` makes the class uvicorn instantiates."""

    front: ClassVar[ProxyFront]

    @classmethod
    def bound(cls, front: ProxyFront) -> type[ProxyProtocol]:
        return cast(type[ProxyProtocol], type("BoundProxyProtocol", (cls,), {"front": front}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head = b""
        self._deciding = True
        #: Bytes held back while a CONNECT is being set up (None: pass data on as it comes).
        self._held: list[bytes] | None = None
        self._target: tuple[str, int] | None = None
        self._task: asyncio.Task[None] | None = None
        self._socket: socket.socket | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            # Whatever loop or socket this runs on: a tunnelled response goes out as several
            # TLS records, and with Nagle on each small one waits for the client's delayed ACK.
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._socket = sock

    def _ack_now(self) -> None:
        """Acknowledge what was just read at once (Linux's TCP_QUICKACK, which is not sticky).

        urllib3 (under requests and azure-core) keeps Nagle's algorithm on for connections to a
        proxy on purpose; a request it writes as headers then body then holds the body until
        the headers are acknowledged, and a receiver that delays its ACK (40 ms on Linux)
        stalls every small upload. Acknowledging at once releases the body straight away.
        """
        if _QUICKACK is not None and self._socket is not None:
            with contextlib.suppress(OSError):
                self._socket.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)

    # -------------------------------------------------------------------- the first request
    def data_received(self, data: bytes) -> None:
        self._ack_now()
        if self._held is not None:
            self._held.append(data)
            return
        if self._deciding:
            self._head += data
            if self._head.startswith(_CONNECT):
                if b"\r\n\r\n" not in self._head:
                    if len(self._head) > _MAX_HEAD:
                        self._refuse_raw(400, "Bad Request", b"The CONNECT request is too long.\n")
                    return
                self._deciding = False
                head, self._head = self._head, b""
                self._connect(head)
                return
            if len(self._head) < len(_CONNECT) and _CONNECT.startswith(self._head):
                return  # could still become a CONNECT
            self._deciding = False
            data, self._head = self._head, b""
        super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._target is not None:
            scope = cast(dict[str, Any], self.scope)
            scope.setdefault("extensions", {})[TUNNEL_TARGET] = self._target

    def _connect(self, head: bytes) -> None:
        request, _, early = head.partition(b"\r\n\r\n")
        parts = request.split(b"\r\n", 1)[0].decode("latin-1").split()
        if len(parts) != 3 or early:
            self._refuse_raw(400, "Bad Request", b"Malformed CONNECT request.\n")
            return
        host, port = split_host_port(parts[1], 443)
        app = self.front.app
        client = self.client[0] if self.client else "-"
        self._held = []  # nothing is parsed as HTTP until the tunnel is set up
        if port == 443 and app.registry.match(host) is not None:
            logger.info("%s CONNECT %s:%d -> served", client, host, port)
            self._task = self.loop.create_task(self._terminate_tls(host, port))
        elif app.passthrough.allows(host, port):
            logger.info("%s CONNECT %s:%d -> passthrough", client, host, port)
            self._task = self.loop.create_task(self._relay(host, port))
        else:
            logger.info("%s CONNECT %s:%d -> refused", client, host, port)
            phrase, body = refusal(host, app.served)
            self._refuse_raw(403, phrase, body)

    def _refuse_raw(self, status: int, phrase: str, body: bytes) -> None:
        head = (
            f"HTTP/1.1 {status} {phrase}\r\ncontent-type: text/plain; charset=utf-8\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
        )
        self.transport.write(head.encode("latin-1") + body)
        self.transport.close()

    # -------------------------------------------------------------------- TLS termination
    async def _terminate_tls(self, host: str, port: int) -> None:
        try:
            context = await asyncio.to_thread(self.front.certificates.context_for, host)
            # The 200 and the switch of protocols happen in one step (start_tls's synchronous
            # part runs before its first await), so the client's TLS hello, sent only after it
            # read the 200, always reaches the TLS layer.
            self.transport.write(_ESTABLISHED)
            tls = await self.loop.start_tls(
                self.transport,
                self,
                context,
                server_side=True,
                ssl_handshake_timeout=_HANDSHAKE_TIMEOUT_S,
            )
        except (TimeoutError, OSError, ConnectionError) as error:
            logger.info("TLS with a client for %s failed: %s", host, type(error).__name__)
            self.transport.close()
            return
        if tls is None:  # the connection closed during the handshake
            return
        held, self._held = self._held or [], None
        self._target = (host, port)
        self.connection_made(tls)  # uvicorn's state now follows the TLS transport
        for chunk in held:
            super().data_received(chunk)

    # -------------------------------------------------------------------- passthrough relay
    async def _relay(self, host: str, port: int) -> None:
        downstream = self.transport
        downstream.pause_reading()
        try:
            upstream, pipe_up = await asyncio.wait_for(
                self.loop.create_connection(_Pipe, host, port), _DIAL_TIMEOUT_S
            )
        except (TimeoutError, OSError) as error:
            shown = f"basin proxy cannot reach {host}:{port} ({type(error).__name__})"
            self._refuse_raw(502, shown, f"{shown}\n".encode())
            return
        self.connections.discard(self)  # a byte pipe now, not an HTTP connection
        pipe_down = _Pipe()
        pipe_down.peer, pipe_up.peer = upstream, downstream
        downstream.set_protocol(pipe_down)
        pipe_down.connection_made(downstream)
        downstream.write(_ESTABLISHED)
        downstream.resume_reading()


class _Pipe(asyncio.Protocol):
    """One direction of a relay: what arrives on its transport is written to ``peer``."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.peer: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self.peer is not None:
            self.peer.write(data)

    def eof_received(self) -> bool:
        if self.peer is not None and self.peer.can_write_eof():
            self.peer.write_eof()
            return True  # keep the other direction open until it ends too
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if self.peer is not None:
            self.peer.close()

    # The peer writes into our transport: when its buffer fills, stop reading the peer.
    def pause_writing(self) -> None:
        if self.peer is not None:
            self.peer.pause_reading()

    def resume_writing(self) -> None:
        if self.peer is not None:
            self.peer.resume_reading()
