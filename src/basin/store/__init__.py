"""The metadata store: an interface and its SQL back end, chosen by URL."""

from __future__ import annotations

from basin.store.base import (
    MetadataStore,
    Principal,
    Reader,
    StoredResource,
    StoredSecret,
    Transaction,
)

__all__ = [
    "MetadataStore",
    "Principal",
    "Reader",
    "StoredResource",
    "StoredSecret",
    "Transaction",
    "open_store",
]


def open_store(url: str) -> MetadataStore:
    """Open (and migrate) the store at ``url``: ``sqlite:///path`` or ``postgresql://...``."""
    from basin.store.sql.store import SqlMetadataStore

    return SqlMetadataStore.open(url)
