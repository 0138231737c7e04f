"""``AMLResponse``: a response a scoring script builds itself (a Flask ``Response`` look-alike)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

from basin.runtime.datastructures import Headers
from basin.runtime.encoding import dumps

__all__ = ["AMLResponse"]

_HTML = "text/html; charset=utf-8"
_JSON = "application/json"


class AMLResponse:
    """``AMLResponse(message, status_code, response_headers={}, json_str=False, ...)``.

    As in azmlinfsrv: ``json_str=True`` sends ``json.dumps(message)`` as ``application/json``;
    ``message=None`` sends ``{}``; otherwise the message (str or bytes) is sent as
    ``text/html; charset=utf-8`` unless ``response_headers`` names a Content-Type. A header value
    holding commas becomes repeated headers. ``x-ms-run-function-failed`` carries
    ``run_function_failed``.
    """

    def __init__(
        self,
        message: Any,
        status_code: int,
        response_headers: dict[str, Any] | None = None,
        json_str: bool = False,
        run_function_failed: bool = False,
    ) -> None:
        response_headers = response_headers or {}
        self.status_code = int(status_code)
        self.headers = Headers()
        if message is None:
            self._body, content_type = b"{}", _JSON
        elif json_str:
            self._body, content_type = dumps(message), _JSON
        else:
            self._body, content_type = _to_bytes(message), _HTML
        if not any(name.lower() == "content-type" for name in response_headers):
            self.headers.add("Content-Type", content_type)
        self.headers.add("x-ms-run-function-failed", bool(run_function_failed))
        for name, value in response_headers.items():
            for part in str(value).split(","):
                self.headers.add(name, part.strip())

    # -- the Flask Response attributes scripts use ---------------------------------------------
    @property
    def status(self) -> str:
        try:
            phrase = HTTPStatus(self.status_code).phrase.upper()
        except ValueError:
            phrase = "UNKNOWN"
        return f"{self.status_code} {phrase}"

    def get_data(self, as_text: bool = False) -> Any:
        return self._body.decode("utf-8", "replace") if as_text else self._body

    def set_data(self, value: str | bytes) -> None:
        self._body = _to_bytes(value)

    @property
    def data(self) -> bytes:
        return self._body

    @data.setter
    def data(self, value: str | bytes) -> None:
        self.set_data(value)

    @property
    def response(self) -> list[bytes]:
        return [self._body]

    @property
    def content_type(self) -> str | None:
        value = self.headers.get("Content-Type")
        return None if value is None else str(value)

    @content_type.setter
    def content_type(self, value: str) -> None:
        self.headers.set("Content-Type", value)

    @property
    def mimetype(self) -> str:
        return (self.content_type or "").split(";", 1)[0].strip().lower()

    @mimetype.setter
    def mimetype(self, value: str) -> None:
        self.content_type = f"{value}; charset=utf-8" if value.startswith("text/") else value

    @property
    def content_length(self) -> int:
        return len(self._body)

    @property
    def is_json(self) -> bool:
        mimetype = self.mimetype
        return mimetype == _JSON or (
            mimetype.startswith("application/") and mimetype.endswith("+json")
        )

    def get_json(self, silent: bool = False) -> Any:
        try:
            return json.loads(self._body)
        except ValueError:
            if silent:
                return None
            raise

    @property
    def json(self) -> Any:
        return self.get_json()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {len(self._body)} bytes [{self.status}]>"


def _to_bytes(message: Any) -> bytes:
    if isinstance(message, bytes):
        return message
    if isinstance(message, str):
        return message.encode()
    if isinstance(message, (bytearray, memoryview)):
        return bytes(message)
    if isinstance(message, Iterable):
        # werkzeug accepts an iterable of chunks (str or bytes) and sends them concatenated.
        return b"".join(_to_bytes(chunk) for chunk in message)
    raise TypeError(f"AMLResponse cannot send a {type(message).__name__} body")
