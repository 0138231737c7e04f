"""Flask/werkzeug-like containers (headers, multi-value dicts, uploaded files) without werkzeug,
and werkzeug's parsing of query strings.

Scoring scripts written for Azure ML receive a Flask request in `@rawhttp` mode and build Flask
responses, so these mirror the parts of werkzeug's ``Headers``, ``MultiDict`` and ``FileStorage``
that such scripts use.
"""

from __future__ import annotations

import codecs
import io
import shutil
from collections.abc import Iterable, Iterator
from typing import IO, Any, Dict, List
from urllib.parse import parse_qsl, quote

__all__ = ["FileStorage", "Headers", "MultiDict", "query_pairs"]

_MISSING: Any = object()


def _requote(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: bytes that are not UTF-8 stay percent-encoded."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return quote(error.object[error.start : error.end], safe=""), error.end


codecs.register_error("basin.url_quote", _requote)


def query_pairs(query_string: bytes) -> list[tuple[str, str]]:
    """The ``(name, value)`` pairs of a query string, blank values kept, as werkzeug parses
    ``request.args``: an escape that is not UTF-8 stays as sent (``?a=%FF`` gives ``"%FF"``)."""
    return parse_qsl(
        query_string.decode("utf-8", "replace"), keep_blank_values=True, errors="basin.url_quote"
    )


class Headers:
    """An ordered, case-insensitive, multi-valued header list (werkzeug ``Headers`` subset).

    Iterating yields ``(name, value)`` pairs, as werkzeug does; ``dict(headers)`` gives the first
    value of each name.
    """

    __slots__ = ("_list",)

    def __init__(self, items: Iterable[tuple[str, str]] | dict[str, str] | None = None) -> None:
        self._list: list[tuple[str, str]] = []
        if items is not None:
            self.extend(items)

    def get(self, key: str, default: Any = None, type: Any = None) -> Any:
        ikey = key.lower()
        for name, value in self._list:
            if name.lower() == ikey:
                if type is None:
                    return value
                try:
                    return type(value)
                except (ValueError, TypeError):
                    return default
        return default

    def getlist(self, key: str, type: Any = None) -> list[Any]:
        ikey = key.lower()
        values = [v for k, v in self._list if k.lower() == ikey]
        return values if type is None else [type(v) for v in values]

    get_all = getlist

    def __getitem__(self, key: str) -> str:
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return str(value)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        ikey = key.lower()
        return any(name.lower() == ikey for name, _ in self._list)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(list(self._list))

    def __len__(self) -> int:
        return len(self._list)

    def __bool__(self) -> bool:
        return bool(self._list)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            return self._list == other._list
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def keys(self) -> list[str]:
        seen: dict[str, str] = {}
        for name, _ in self._list:
            seen.setdefault(name.lower(), name)
        return list(seen.values())

    def values(self) -> list[str]:
        return [v for _, v in self._list]

    def items(self) -> list[tuple[str, str]]:
        return list(self._list)

    def to_wsgi_list(self) -> list[tuple[str, str]]:
        return list(self._list)

    def add(self, key: str, value: Any) -> None:
        self._list.append((key, _header_str(value)))

    add_header = add

    def extend(self, items: Iterable[tuple[str, str]] | dict[str, str]) -> None:
        pairs = items.items() if isinstance(items, dict) else items
        for key, value in pairs:
            self.add(key, value)

    def remove(self, key: str) -> None:
        ikey = key.lower()
        self._list = [(k, v) for k, v in self._list if k.lower() != ikey]

    def __delitem__(self, key: str) -> None:
        self.remove(key)

    def pop(self, key: str, default: Any = _MISSING) -> Any:
        value = self.get(key, _MISSING)
        if value is _MISSING:
            if default is _MISSING:
                raise KeyError(key)
            return default
        self.remove(key)
        return value

    def set(self, key: str, value: Any) -> None:
        """Replace every value of ``key`` by one, keeping the position of the first."""
        ikey = key.lower()
        text = _header_str(value)
        for i, (name, _) in enumerate(self._list):
            if name.lower() == ikey:
                self._list[i] = (key, text)
                self._list[i + 1 :] = [(k, v) for k, v in self._list[i + 1 :] if k.lower() != ikey]
                return
        self._list.append((key, text))

    __setitem__ = set

    def setdefault(self, key: str, default: Any) -> str:
        if key in self:
            return self[key]
        self.add(key, default)
        return _header_str(default)

    def update(self, items: Iterable[tuple[str, str]] | dict[str, str]) -> None:
        pairs = items.items() if isinstance(items, dict) else items
        for key, value in pairs:
            self.set(key, value)

    def copy(self) -> Headers:
        new = Headers()
        new._list = list(self._list)
        return new

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._list!r})"


def _header_str(value: Any) -> str:
    # Flask renders bools as "True"/"False" (x-ms-run-function-failed depends on that).
    text = value if isinstance(value, str) else str(value)
    if "\n" in text or "\r" in text:
        raise ValueError("Header values must not contain newlines.")
    return text


class MultiDict(Dict[str, List[Any]]):
    """A dict of lists whose item access returns the first value (werkzeug ``MultiDict`` subset)."""

    def __init__(self, pairs: Iterable[tuple[str, Any]] = ()) -> None:
        super().__init__()
        for key, value in pairs:
            self.add(key, value)

    def add(self, key: str, value: Any) -> None:
        dict.setdefault(self, key, []).append(value)

    def __getitem__(self, key: str) -> Any:
        values = dict.get(self, key)
        if not values:
            raise KeyError(key)
        return values[0]

    def __setitem__(self, key: str, value: Any) -> None:
        dict.__setitem__(self, key, [value])

    def get(self, key: str, default: Any = None, type: Any = None) -> Any:
        values = dict.get(self, key)
        if not values:
            return default
        if type is None:
            return values[0]
        try:
            return type(values[0])
        except (ValueError, TypeError):
            return default

    def getlist(self, key: str, type: Any = None) -> list[Any]:
        values = list(dict.get(self, key, ()))
        return values if type is None else [type(v) for v in values]

    def items(self, multi: bool = False) -> list[tuple[str, Any]]:  # type: ignore[override]
        if multi:
            return [(k, v) for k, vs in dict.items(self) for v in vs]
        return [(k, vs[0]) for k, vs in dict.items(self)]

    def values(self) -> list[Any]:  # type: ignore[override]
        return [vs[0] for vs in dict.values(self)]

    def lists(self) -> list[tuple[str, list[Any]]]:
        return [(k, list(vs)) for k, vs in dict.items(self)]

    def to_dict(self, flat: bool = True) -> dict[str, Any]:
        if flat:
            return {k: vs[0] for k, vs in dict.items(self)}
        return {k: list(vs) for k, vs in dict.items(self)}

    def copy(self) -> MultiDict:
        return MultiDict(self.items(multi=True))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.items(multi=True)!r})"


class FileStorage:
    """An uploaded file of a multipart request (werkzeug ``FileStorage`` subset)."""

    def __init__(
        self,
        data: bytes,
        filename: str | None,
        name: str,
        content_type: str | None,
        headers: Headers | None = None,
    ) -> None:
        self.stream: IO[bytes] = io.BytesIO(data)
        self.filename = filename
        self.name = name
        self.content_type = content_type
        self.mimetype = (content_type or "").split(";", 1)[0].strip().lower()
        self.headers = headers or Headers()

    def read(self, size: int = -1) -> bytes:
        return self.stream.read(size)

    def save(self, dst: str | IO[bytes], buffer_size: int = 16384) -> None:
        self.stream.seek(0)
        if isinstance(dst, str):
            with open(dst, "wb") as out:
                shutil.copyfileobj(self.stream, out, buffer_size)
        else:
            shutil.copyfileobj(self.stream, dst, buffer_size)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.stream)

    def __bool__(self) -> bool:
        return bool(self.filename)

    def __repr__(self) -> str:
        return f"<FileStorage: {self.filename!r} ({self.content_type!r})>"
