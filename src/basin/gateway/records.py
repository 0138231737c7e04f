"""The per-request log record handed to the injected sink (never a header value or a body)."""

from __future__ import annotations

import json.encoder
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, Final

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
        return {name: getattr(self, name) for name in _FIELDS}

    def to_json_line(self) -> bytes:
        """``json.dumps(self.to_dict())`` and a line break, at a fifth of its cost (one per
        request): every field is a flat str, int, float, bool or None."""
        return (
            f'{{"time": {self.time!r}, "endpoint": {_string(self.endpoint)}, '
            f'"deployment": {_json_value(self.deployment)}, "method": {_string(self.method)}, '
            f'"path": {_string(self.path)}, "status": {self.status}, '
            f'"model_status": {_json_value(self.model_status)}, '
            f'"duration_ms": {self.duration_ms!r}, "upstream_ms": {_json_value(self.upstream_ms)}, '
            f'"request_id": {_string(self.request_id)}, '
            f'"client_request_id": {_json_value(self.client_request_id)}, '
            f'"request_bytes": {self.request_bytes}, "response_bytes": {self.response_bytes}, '
            f'"reason": {_json_value(self.reason)}, "mirror": {_json_value(self.mirror)}}}\n'
        ).encode()


_FIELDS: Final = tuple(field.name for field in fields(RequestRecord))

RequestSink = Callable[[RequestRecord], None]
"""Called on the gateway's event loop once per request: keep it fast and never block."""
