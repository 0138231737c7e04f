"""``AMLRequest`` and ``rawhttp``: what a ``@rawhttp`` scoring script receives.

In Azure ML ``AMLRequest`` is a Flask request; this one is built from the ASGI scope and the body
that the runtime already read, and offers the Flask attributes scoring scripts use (``method``,
``headers``, ``args``, ``data``, ``get_data()``, ``json``, ``get_json()``, ``form``, ``files``,
``path``, ``full_path``, ``url``, ...). Everything is computed on first use.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from email import policy
from email.parser import BytesParser
from functools import cached_property
from http.cookies import SimpleCookie
from typing import IO, Any, TypeVar
from urllib.parse import parse_qsl, quote

from basin.runtime.datastructures import FileStorage, Headers, MultiDict, query_pairs

__all__ = ["AMLRequest", "BadRequest", "UnsupportedMediaType", "rawhttp", "title_case_headers"]

F = TypeVar("F", bound="Callable[..., Any]")

# Azure's flag is module-global too: decorating any function asks for raw requests. The runtime
# resets it before it imports the scoring script and reads it afterwards.
_rawHttpRequested = False


def rawhttp(func: F) -> F:
    """Mark ``run()`` as taking the raw request (an ``AMLRequest``) instead of parsed input."""
    global _rawHttpRequested
    _rawHttpRequested = True
    return func


class BadRequest(ValueError):
    """The body could not be read as asked (werkzeug raises ``BadRequest`` here)."""

    code = 400


class UnsupportedMediaType(BadRequest):
    """``request.json`` on a body that is not declared as JSON (werkzeug: 415)."""

    code = 415


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def title_case_headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Header names as Flask/WSGI spell them (``X-Ms-Request-Id``); repeated ones joined by ``,``."""
    out: dict[str, str] = {}
    for name, value in raw:
        key = name.decode("latin-1").title()
        text = value.decode("latin-1")
        out[key] = f"{out[key]},{text}" if key in out else text
    return out


def is_json_mimetype(mimetype: str) -> bool:
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


class AMLRequest:
    """The request given to a ``@rawhttp`` ``run()`` (a Flask ``Request`` look-alike)."""

    def __init__(self, scope: dict[str, Any], body: bytes) -> None:
        self.scope = scope
        self._body = body
        self.method: str = scope["method"]
        self.path: str = scope.get("root_path", "") + scope["path"]
        self.query_string: bytes = scope.get("query_string", b"")
        self.scheme: str = scope.get("scheme", "http")
        self._json_cache: Any = None
        self._json_loaded = False

    # -- headers and addressing ---------------------------------------------------------------
    @cached_property
    def headers(self) -> Headers:
        return Headers(title_case_headers(self.scope["headers"]))

    @cached_property
    def host(self) -> str:
        host = self.headers.get("Host")
        if host:
            return str(host)
        server = self.scope.get("server") or ("localhost", None)
        port = server[1]
        default = 443 if self.scheme == "https" else 80
        return f"{server[0]}:{port}" if port not in (None, default) else str(server[0])

    @property
    def remote_addr(self) -> str | None:
        client = self.scope.get("client")
        return client[0] if client else None

    @cached_property
    def full_path(self) -> str:
        return f"{self.path}?{self.query_string.decode('latin-1')}"

    @property
    def host_url(self) -> str:
        return f"{self.scheme}://{self.host}/"

    @property
    def url_root(self) -> str:
        return f"{self.scheme}://{self.host}{self.scope.get('root_path', '')}/"

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.host}{quote(self.path)}"

    @property
    def url(self) -> str:
        query = self.query_string.decode("latin-1")
        return f"{self.base_url}?{query}" if query else self.base_url

    @cached_property
    def args(self) -> MultiDict:
        return MultiDict(query_pairs(self.query_string))

    @cached_property
    def cookies(self) -> MultiDict:
        jar: SimpleCookie = SimpleCookie()
        for value in self.headers.getlist("Cookie"):
            jar.load(value)
        return MultiDict((name, morsel.value) for name, morsel in jar.items())

    # -- body ----------------------------------------------------------------------------------
    @property
    def content_type(self) -> str | None:
        value = self.headers.get("Content-Type")
        return None if value is None else str(value)

    @cached_property
    def mimetype(self) -> str:
        return (self.content_type or "").split(";", 1)[0].strip().lower()

    @cached_property
    def mimetype_params(self) -> dict[str, str]:
        params: dict[str, str] = {}
        for part in (self.content_type or "").split(";")[1:]:
            key, _, value = part.partition("=")
            if key.strip():
                params[key.strip().lower()] = value.strip().strip('"')
        return params

    @property
    def content_length(self) -> int | None:
        value = self.headers.get("Content-Length")
        try:
            return int(value) if value is not None else None
        except ValueError:
            return None

    @property
    def is_json(self) -> bool:
        return is_json_mimetype(self.mimetype)

    def get_data(
        self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False
    ) -> Any:
        """The raw body (bytes, or text decoded as UTF-8 when ``as_text``)."""
        return self._body.decode("utf-8", "replace") if as_text else self._body

    @property
    def data(self) -> bytes:
        # Flask empties ``data`` for form bodies (they go to ``form``/``files``).
        return b"" if self.mimetype in _FORM_TYPES else self._body

    @property
    def stream(self) -> IO[bytes]:
        return io.BytesIO(self._body)

    input_stream = stream

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        """The body parsed as JSON; ``None`` (``silent``) or an error when it is not JSON."""
        if cache and self._json_loaded:
            return self._json_cache
        if not (force or self.is_json):
            if silent:
                return None
            raise UnsupportedMediaType(
                "Did not attempt to load JSON data because the request Content-Type was not "
                "'application/json'."
            )
        try:
            value = json.loads(self._body)
        except ValueError as ex:
            if silent:
                return None
            raise BadRequest(f"Failed to decode JSON object: {ex}") from None
        if cache:
            self._json_cache, self._json_loaded = value, True
        return value

    @property
    def json(self) -> Any:
        return self.get_json()

    @cached_property
    def _form_and_files(self) -> tuple[MultiDict, MultiDict]:
        if self.mimetype == "application/x-www-form-urlencoded":
            return MultiDict(parse_qsl(self._body.decode("utf-8", "replace"), True)), MultiDict()
        if self.mimetype == "multipart/form-data":
            return _parse_multipart(self.content_type or "", self._body)
        return MultiDict(), MultiDict()

    @property
    def form(self) -> MultiDict:
        return self._form_and_files[0]

    @property
    def files(self) -> MultiDict:
        return self._form_and_files[1]

    @property
    def values(self) -> MultiDict:
        merged = self.args.copy()
        for key, value in self.form.items(multi=True):
            merged.add(key, value)
        return merged

    # -- misc Flask attributes scripts read ----------------------------------------------------
    @property
    def user_agent(self) -> str:
        return str(self.headers.get("User-Agent", ""))

    @property
    def origin(self) -> str | None:
        value = self.headers.get("Origin")
        return None if value is None else str(value)

    @property
    def referrer(self) -> str | None:
        value = self.headers.get("Referer")
        return None if value is None else str(value)

    @property
    def is_secure(self) -> bool:
        return self.scheme == "https"

    @cached_property
    def environ(self) -> dict[str, Any]:
        """A WSGI-style environ, for scripts that read ``request.environ``."""
        server = self.scope.get("server") or ("localhost", 80)
        env: dict[str, Any] = {
            "REQUEST_METHOD": self.method,
            "SCRIPT_NAME": self.scope.get("root_path", ""),
            "PATH_INFO": self.scope["path"],
            "QUERY_STRING": self.query_string.decode("latin-1"),
            "SERVER_NAME": str(server[0]),
            "SERVER_PORT": str(server[1]),
            "SERVER_PROTOCOL": f"HTTP/{self.scope.get('http_version', '1.1')}",
            "REMOTE_ADDR": self.remote_addr or "",
            "wsgi.url_scheme": self.scheme,
            "wsgi.input": self.stream,
        }
        for name, value in self.headers:
            key = name.upper().replace("-", "_")
            if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                env[key] = value
            else:
                env[f"HTTP_{key}"] = value
        return env

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url!r} [{self.method}]>"


def _parse_multipart(content_type: str, body: bytes) -> tuple[MultiDict, MultiDict]:
    """Split a ``multipart/form-data`` body into form fields and files (stdlib email parser)."""
    form, files = MultiDict(), MultiDict()
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        return form, files
    for part in message.walk():
        if part is message:
            continue
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or not name:
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            payload = b""
        filename = part.get_filename()
        if filename is None:
            form.add(name, payload.decode(part.get_content_charset() or "utf-8", "replace"))
        else:
            headers = Headers((k, str(v)) for k, v in part.items())
            files.add(name, FileStorage(payload, filename, name, part.get("Content-Type"), headers))
    return form, files
