"""The SDK's one HTTP client: auth header, JSON, and errors rebuilt as basin's own exceptions.

It is the standard library's ``http.client`` on one kept-alive connection, not httpx: every CLI
call imports this module, and httpx (with the command-line client it loads on import) cost more
than the rest of a ``basin group list``. The SDK talks only to basin's own API, so it needs
nothing httpx adds: no redirects, proxies, cookies or HTTP/2.
"""

from __future__ import annotations

import contextlib
import http.client
import json as _json
import ssl
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

from basin.errors import BasinError, ServiceUnavailableError, error_from_code
from basin.sdk._connection import Connection

__all__ = ["Response", "Transport", "post"]

_CHUNK = 1 << 20


class Response:
    """A finished HTTP exchange: status, headers (lower-case names) and the body."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status_code = status
        self.headers = headers
        self.content = body

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return _json.loads(self.content)


def _connect(url: str, timeout: float, ca_file: str | None) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    if parts.scheme == "https":
        context = ssl.create_default_context(cafile=ca_file)
        return http.client.HTTPSConnection(host, parts.port, timeout=timeout, context=context)
    return http.client.HTTPConnection(host, parts.port, timeout=timeout)


def _target(base_path: str, path: str, params: dict[str, Any] | None) -> str:
    target = path if path.startswith("http") else base_path + path
    if params:
        target += ("&" if "?" in target else "?") + urlencode(params)
    return target


class Transport:
    """``connection`` may be a function that finds it: then it is looked for on the first
    request (local endpoints need no server, and say so only when one is needed)."""

    def __init__(
        self, connection: Connection | Callable[[], Connection], *, timeout: float = 60.0
    ) -> None:
        self._connection = connection
        self._timeout = timeout
        self._conn: http.client.HTTPConnection | None = None
        #: Called with (method, path, body) after every answered request (tests watch them).
        self.response_hooks: list[Callable[[str, str, bytes], None]] = []

    @property
    def connection(self) -> Connection:
        if not isinstance(self._connection, Connection):
            self._connection = self._connection()
        return self._connection

    @property
    def _base_path(self) -> str:
        return urlsplit(self.connection.server).path.rstrip("/")

    def _unreachable(self, exc: Exception) -> ServiceUnavailableError:
        return ServiceUnavailableError(
            f"Cannot reach the basin server at {self.connection.server} ({type(exc).__name__}). "
            "Is 'basin server' running?"
        )

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {
            "Authorization": f"Bearer {self.connection.token}",
            "User-Agent": "basin-sdk",
            "Accept": "application/json",
        }
        headers.update(extra or {})
        return headers

    def _send(
        self, method: str, target: str, body: Any, headers: dict[str, str]
    ) -> http.client.HTTPResponse:
        """Send on the kept-alive connection. If the server had closed that connection, send
        once more on a fresh one; only then, and only a body that can be sent again."""
        replayable = body is None or isinstance(body, bytes)
        chunked = not replayable
        for attempt in (0, 1):
            reused = self._conn is not None
            if self._conn is None:
                self._conn = _connect(
                    self.connection.server, self._timeout, self.connection.ca_file
                )
            try:
                self._conn.request(
                    method, target, body=body, headers=headers, encode_chunked=chunked
                )
                return self._conn.getresponse()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                self.close()
                if attempt == 0 and reused and replayable:
                    continue
                raise self._unreachable(exc) from None
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                raise self._unreachable(exc) from None
        raise AssertionError("unreachable")

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        content: bytes | Iterable[bytes] | None = None,
    ) -> Any:
        headers: dict[str, str] = {}
        body: Any = content
        if json is not None:
            body = _json.dumps(json).encode()
            headers["Content-Type"] = "application/json"
        if isinstance(body, bytes):
            headers["Content-Length"] = str(len(body))
        elif body is None and method in ("POST", "PUT", "PATCH"):
            body, headers["Content-Length"] = b"", "0"
        response = self._send(
            method, _target(self._base_path, path, params), body, self._headers(headers)
        )
        data = response.read()
        for hook in self.response_hooks:
            hook(method, urlsplit(path).path, data)
        if response.will_close:
            self.close()
        if response.status >= 400:
            raise _error(response.status, data)
        if not data:
            return None
        return _json.loads(data)

    @contextlib.contextmanager
    def stream(self, method: str, path: str) -> Iterator[Iterator[bytes]]:
        """The response body in chunks, for downloads."""
        response = self._send(method, _target(self._base_path, path, None), None, self._headers())
        try:
            if response.status >= 400:
                raise _error(response.status, response.read())

            def chunks() -> Iterator[bytes]:
                try:
                    while chunk := response.read(_CHUNK):
                        yield chunk
                except (OSError, http.client.HTTPException) as exc:
                    raise self._unreachable(exc) from None

            yield chunks()
        finally:
            # A body left unread would leave the connection unusable for the next request.
            self.close()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def post(
    url: str,
    content: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    ca_file: str | None = None,
) -> Response:
    """One POST to any URL (a scoring URI), on a connection of its own."""
    parts = urlsplit(url)
    conn = _connect(url, timeout, ca_file)
    try:
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn.request(
            "POST", target, body=content, headers={"Content-Length": str(len(content)), **headers}
        )
        response = conn.getresponse()
        return Response(
            response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        )
    except (OSError, http.client.HTTPException) as exc:
        raise ServiceUnavailableError(
            f"Cannot reach {parts.scheme}://{parts.netloc} ({type(exc).__name__})."
        ) from None
    finally:
        conn.close()


def _error(status: int, body: bytes) -> BasinError:
    try:
        error = _json.loads(body)["error"]
        return error_from_code(str(error["code"]), str(error["message"]), status)
    except (ValueError, KeyError, TypeError):
        return BasinError(f"The server answered {status} without an error body.")
