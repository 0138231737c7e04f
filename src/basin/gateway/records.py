"""The per-request log record handed to the injected sink (never a header value or a body)."""

from __future__ import annotations

import json.encoder
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["RequestRecord", "RequestSink"]


# The C string encoder json.dumps uses (a str -> a quoted, escaped, ASCII-only JSON string).
_string = json.encoder.encode_basestring_ascii


def _json_value(value: object) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _string(value)
    return repr(value)  # int, float: the text json.dumps writes for them


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs twice as much
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

    def to_json_line(self) -> bytes:
        """``json.dumps(self.to_dict())`` and a line break, at a fifth of its cost (one per
        request): every field is a flat str, int, float, bool or None."""
        return (
            '{"time": %s, "endpoint": %s, "deployment": %s, "method": %s, "path": %s, '
            '"status": %d, "model_status": %s, "duration_ms": %s, "upstream_ms": %s, '
            '"request_id": %s, "client_request_id": %s, "request_bytes": %d, '
            '"response_bytes": %d, "reason": %s, "mirror": %s}\n'
            % (
                repr(self.time),
                _string(self.endpoint),
                _json_value(self.deployment),
                _string(self.method),
                _string(self.path),
                self.status,
                _json_value(self.model_status),
                repr(self.duration_ms),
                _json_value(self.upstream_ms),
                _string(self.request_id),
                _json_value(self.client_request_id),
                self.request_bytes,
                self.response_bytes,
                _json_value(self.reason),
                _json_value(self.mirror),
            )
        ).encode()


RequestSink = Callable[[RequestRecord], None]
"""Called on the gateway's event loop once per request: keep it fast and never block."""
