"""The proxy's ASGI side: a request (plain, or inside a CONNECT tunnel) goes to the app that
serves its host, to the real destination where passthrough allows, or gets a 403 naming the host.
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from basin.server.proxy.hosts import HostRegistry, Passthrough

__all__ = ["TUNNEL_TARGET", "ProxyApp", "refusal"]

logger = logging.getLogger("basin.proxy")

#: Scope extension: the (host, port) a CONNECT tunnel was opened to; requests inside the tunnel
#: belong to that host whatever their Host header says.
TUNNEL_TARGET = "basin.proxy_target"
_HOP_BY_HOP = frozenset(
    {
        b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization",
        b"proxy-connection", b"te", b"trailer", b"transfer-encoding", b"upgrade",
    }
)  # fmt: skip

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def refusal(host: str, served: str) -> tuple[str, bytes]:
    """The reason phrase and body of a refused host (clients show the phrase of a refused
    CONNECT, so it carries the host and the fix too)."""
    shown = "".join(c for c in host if c.isprintable() and c not in "\r\n")[:255]
    phrase = (
        f"basin proxy refuses {shown}: not an Azure host it serves (see BASIN_PROXY_PASSTHROUGH)"
    )
    body = (
        f"basin's proxy does not forward to '{shown}'. It answers only the Azure hosts it serves "
        f"({served}); the server reaches no other host unless its setting "
        f"BASIN_PROXY_PASSTHROUGH lists it (e.g. '[\"{shown}\"]', or '[\"*\"]' for all).\n"
    )
    return phrase, body.encode()


def target_of(scope: Scope, default_port: int) -> tuple[str, int]:
    """The host (lower case) and port a request is for: its tunnel's, else its Host header's."""
    tunnel = scope.get("extensions", {}).get(TUNNEL_TARGET)
    if tunnel is not None:
        return str(tunnel[0]), int(tunnel[1])
    host = ""
    for name, value in scope["headers"]:
        if name == b"host":
            host = value.decode("latin-1").strip()
            break
    return split_host_port(host, default_port)


def split_host_port(text: str, default_port: int) -> tuple[str, int]:
    if text.startswith("["):  # [::1]:443
        host, _, rest = text[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port = text.rpartition(":") if text.count(":") == 1 else (text, "", "")
    return host.lower().rstrip("."), int(port) if port.isdigit() else default_port


class ProxyApp:
    """Dispatches each request by host; see the module docstring."""

    def __init__(self, registry: HostRegistry, passthrough: Passthrough) -> None:
        self.registry = registry
        self.passthrough = passthrough
        self._client: httpx.AsyncClient | None = None

    @property
    def served(self) -> str:
        return ", ".join(route.pattern.pattern.strip("^$") for route in self.registry.routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # served with lifespan off; no websockets
            return
        started = time.perf_counter()
        status: list[int] = []

        async def recording(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(int(message["status"]))
                headers = list(message.get("headers", ()))
                # The proxy's server sends no Date of its own (the blob service sends one).
                if not any(name.lower() == b"date" for name, _ in headers):
                    headers.append((b"date", email.utils.formatdate(usegmt=True).encode()))
                    message = {**message, "headers": headers}
            await send(message)

        host, port = target_of(scope, 443 if scope.get("scheme") == "https" else 80)
        found = self.registry.match(host)
        if found is not None:
            where = found.route.name
            await found.route.app(found.scope_for(scope), receive, recording)
        elif scope.get("scheme") == "http" and self.passthrough.allows(host, port):
            where = "passthrough"
            await self._forward(scope, receive, recording, host, port)
        else:
            where = "refused"
            await _reply(recording, 403, refusal(host, self.served)[1])
        # Never the query string (SAS signatures) or a header (credentials): method, host, path.
        logger.info(
            "%s %s %s%s -> %s %s %.1fms",
            _client(scope), scope["method"], host, _path(scope), status[0] if status else "-",
            where, (time.perf_counter() - started) * 1000,
        )  # fmt: skip

    async def _forward(
        self, scope: Scope, receive: Receive, send: Send, host: str, port: int
    ) -> None:
        """Plain HTTP to a host that passthrough allows: the request as it came, streamed."""
        if self._client is None:
            # trust_env=False: the server's own proxy variables must not loop requests back.
            self._client = httpx.AsyncClient(trust_env=False, timeout=None)
        shown_host = f"[{host}]" if ":" in host else host
        url = f"http://{shown_host}:{port}{_raw_path(scope)}"
        if scope.get("query_string"):
            url += "?" + scope["query_string"].decode("latin-1")
        headers = [(k, v) for k, v in scope["headers"] if k not in _HOP_BY_HOP]

        async def body() -> Any:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                if message.get("body"):
                    yield message["body"]
                if not message.get("more_body"):
                    return

        request = self._client.build_request(scope["method"], url, headers=headers, content=body())
        try:
            response = await self._client.send(request, stream=True)
        except httpx.HTTPError as error:
            await _reply(
                send, 502, f"basin's proxy could not reach {host}:{port}: {error}\n".encode()
            )
            return
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status_code,
                    "headers": [
                        (k, v) for k, v in response.headers.raw if k.lower() not in _HOP_BY_HOP
                    ],
                }
            )
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            await response.aclose()

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()


def _raw_path(scope: Scope) -> str:
    raw = scope.get("raw_path")
    return raw.decode("latin-1") if raw else str(scope.get("path", "/"))


def _path(scope: Scope) -> str:
    return str(scope.get("path", "/"))[:200]


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return f"{client[0]}" if client else "-"


async def _reply(send: Send, status: int, body: bytes) -> None:
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
