"""The per-request log record handed to the injected sink (never a header value or a body)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["RequestRecord", "RequestSink"]


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request through the gateway, or one mirrored copy of it (``mirror=True``).

    ``status`` is what the client got (for a mirrored copy: what the mirror deployment answered);
    ``model_status`` is what the replica answered, when one did (e.g. 500 behind a 424).
    ``reason`` names why the gateway answered by itself, or ``model_error`` for a 424.
    ``path`` is the path under the endpoint, without the query string (it may carry data).
    """

    time: float  # seconds since the epoch when the request arrived
    endpoint: str
    deployment: str | None
    method: str
    path: str
    status: int
    model_status: int | None
    duration_ms: float  # the whole request, as the gateway saw it
    upstream_ms: float | None  # from sending to a replica to the end of its answer
    request_id: str
    client_request_id: str | None
    request_bytes: int
    response_bytes: int
    reason: str | None = None
    mirror: bool = False

    def to_dict(self) -> dict[str, Any]:
        # Every field is a flat value: a shallow copy is enough (asdict deep-copies, per request).
        return {name: getattr(self, name) for name in self.__slots__}


RequestSink = Callable[[RequestRecord], None]
"""Called on the gateway's event loop once per request: keep it fast and never block."""
