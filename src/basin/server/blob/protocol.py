"""uvicorn's httptools protocol, keeping how a request spelled its metadata header names.

ASGI hands header names to the app in lower case, but Azure keeps the case of a blob's metadata
names (``x-ms-meta-Owner`` is the name ``Owner``) and clients read them back as they sent them.
This protocol also lists the ``x-ms-meta-*`` names as they arrived, in
``scope["extensions"]["basin.meta_header_names"]``; the blob app serves on it (``http=`` of
uvicorn's config).
"""

from __future__ import annotations

from typing import Any, cast

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from basin.server.blob._wire import META_NAMES

__all__ = ["MetadataCaseProtocol"]

_PREFIX = b"x-ms-meta-"


class MetadataCaseProtocol(HttpToolsProtocol):
    def on_header(self, name: bytes, value: bytes) -> None:
        super().on_header(name, value)
        if name[: len(_PREFIX)].lower() == _PREFIX:
            scope = cast(dict[str, Any], self.scope)
            scope.setdefault("extensions", {}).setdefault(META_NAMES, []).append(name)
