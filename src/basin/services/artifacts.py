"""``ArtifactShelf``: what nodes of a distributed back end may fetch from the server, by name.

The serving controller puts here each artifact a replica needs (the built environment, the
runtime's copy, the code and model folders, the CA bundle), named by content; the route
``GET /basin/artifacts/{name}`` sends one to a caller that presents the shelf's key (made at
each start, handed to the compute back end only) from a trusted network. Nothing else of the
server's home can be reached through it: not the keys, not the store, not the vault.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from pathlib import Path

from basin.compute import Artifact

__all__ = ["ArtifactShelf"]


class ArtifactShelf:
    def __init__(self) -> None:
        self.key = secrets.token_urlsafe(32)
        self._paths: dict[str, Path] = {}
        self._lock = threading.Lock()

    def put(self, name: str, path: Path) -> Artifact:
        with self._lock:
            self._paths[name] = path
        return Artifact(name, path)

    def get(self, name: str, presented_key: str | None) -> Path | None:
        """The path shelved as ``name`` for a caller with the right key (None otherwise)."""
        if not presented_key or not hmac.compare_digest(presented_key, self.key):
            return None
        with self._lock:
            return self._paths.get(name)
