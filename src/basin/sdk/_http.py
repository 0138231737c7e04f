"""The SDK's one HTTP client: auth header, JSON, and errors rebuilt as basin's own exceptions."""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Iterator
from typing import Any

import httpx

from basin.errors import BasinError, ServiceUnavailableError, error_from_code
from basin.sdk._connection import Connection

__all__ = ["Transport"]


class Transport:
    def __init__(self, connection: Connection, *, timeout: float = 60.0) -> None:
        self.connection = connection
        self._client = httpx.Client(
            base_url=connection.server,
            headers={"Authorization": f"Bearer {connection.token}", "User-Agent": "basin-sdk"},
            timeout=timeout,
            # An API served over TLS (BASIN_API_TLS) has basin's CA in the credentials' bundle.
            verify=ssl.create_default_context(cafile=connection.ca_file)
            if connection.ca_file
            else True,
        )

    def _unreachable(self, exc: Exception) -> ServiceUnavailableError:
        return ServiceUnavailableError(
            f"Cannot reach the basin server at {self.connection.server} ({type(exc).__name__}). "
            "Is 'basin server' running?"
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        content: Any = None,
    ) -> Any:
        try:
            response = self._client.request(method, path, json=json, params=params, content=content)
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from None
        if response.status_code >= 400:
            raise _error(response)
        if not response.content:
            return None
        return response.json()

    @contextlib.contextmanager
    def stream(self, method: str, path: str) -> Iterator[Iterator[bytes]]:
        """The response body in chunks, for downloads."""
        try:
            with self._client.stream(method, path) as response:
                if response.status_code >= 400:
                    response.read()
                    raise _error(response)
                yield response.iter_bytes(1 << 20)
        except httpx.TransportError as exc:
            raise self._unreachable(exc) from None

    def close(self) -> None:
        self._client.close()


def _error(response: httpx.Response) -> BasinError:
    try:
        error = response.json()["error"]
        return error_from_code(str(error["code"]), str(error["message"]), response.status_code)
    except (ValueError, KeyError, TypeError):
        return BasinError(f"The server answered {response.status_code} without an error body.")
