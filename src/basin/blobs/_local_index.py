"""The SQLite index of the local blob store: names, properties and where each blob's bytes are.

One transaction per change is the commit point of every write: data files are made durable
first and only then named by a committed row, so data and properties change together.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from basin.blobs._local_files import Extent
from basin.blobs.models import BlobProperties, ContainerProperties, ContentSettings

_SCHEMA = """
CREATE TABLE IF NOT EXISTS containers (
    account TEXT NOT NULL,
    name TEXT NOT NULL,
    etag TEXT NOT NULL,
    last_modified REAL NOT NULL,
    metadata TEXT NOT NULL,
    PRIMARY KEY (account, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blobs (
    account TEXT NOT NULL,
    container TEXT NOT NULL,
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    last_modified REAL NOT NULL,
    created REAL NOT NULL,
    content TEXT NOT NULL,
    content_md5 BLOB,
    metadata TEXT NOT NULL,
    inline BLOB,
    extents TEXT NOT NULL,
    PRIMARY KEY (account, container, name)
);
CREATE TABLE IF NOT EXISTS blocks (
    account TEXT NOT NULL,
    container TEXT NOT NULL,
    blob TEXT NOT NULL,
    block_id TEXT NOT NULL,
    file_id TEXT NOT NULL,
    size INTEGER NOT NULL,
    staged REAL NOT NULL,
    PRIMARY KEY (account, container, blob, block_id)
);
CREATE INDEX IF NOT EXISTS blocks_by_age ON blocks (staged);
"""

BLOB_COLUMNS = (
    "account, container, name, size, etag, last_modified, created, content, content_md5, metadata"
)


def to_datetime(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


class EtagClock:
    """Azure-looking ETags (``0x`` + FILETIME hex), strictly increasing within the process."""

    _EPOCH_AS_FILETIME = 116444736000000000

    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            now = time.time_ns() // 100 + self._EPOCH_AS_FILETIME
            self._last = max(now, self._last + 1)
            return f"0x{self._last:X}"


def content_to_json(content: ContentSettings) -> str:
    fields = {
        "type": content.content_type,
        "encoding": content.content_encoding,
        "language": content.content_language,
        "disposition": content.content_disposition,
        "cache_control": content.cache_control,
    }
    return json.dumps({k: v for k, v in fields.items() if v is not None})


def blob_from_row(row: sqlite3.Row | tuple[Any, ...]) -> BlobProperties:
    account, container, name, size, etag, modified, created, content, md5, metadata = row[:10]
    settings = json.loads(content)
    return BlobProperties(
        account=account,
        container=container,
        name=name,
        size=size,
        etag=etag,
        last_modified=to_datetime(modified),
        creation_time=to_datetime(created),
        content=ContentSettings(
            content_type=settings.get("type", "application/octet-stream"),
            content_encoding=settings.get("encoding"),
            content_language=settings.get("language"),
            content_disposition=settings.get("disposition"),
            cache_control=settings.get("cache_control"),
            content_md5=md5,
        ),
        metadata=json.loads(metadata),
    )


def container_from_row(row: tuple[Any, ...]) -> ContainerProperties:
    account, name, etag, modified, metadata = row
    return ContainerProperties(
        account=account,
        name=name,
        etag=etag,
        last_modified=to_datetime(modified),
        metadata=json.loads(metadata),
    )


def extents_to_json(extents: list[Extent]) -> str:
    return json.dumps([[e.block_id, e.file_id, e.size] for e in extents])


def extents_from_json(text: str) -> list[Extent]:
    return [Extent(block_id, file_id, size) for block_id, file_id, size in json.loads(text)]


class Index:
    """A small pool of SQLite connections (WAL, synchronous=FULL) over one database file."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._idle: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        with self._connection() as db:
            db.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(
            self._path, timeout=30.0, isolation_level=None, check_same_thread=False
        )
        db.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk when it returns (WAL's NORMAL may lose the last ones).
        db.execute("PRAGMA synchronous=FULL")
        return db

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            db = self._idle.pop() if self._idle else None
        if db is None:
            db = self._connect()
        try:
            yield db
        finally:
            with self._lock:
                self._idle.append(db)

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        with self._connection() as db:
            db.execute("BEGIN")
            try:
                yield db
            finally:
                db.execute("COMMIT")

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A transaction that holds the write lock from its start (check-then-set is atomic)."""
        with self._connection() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for db in idle:
            db.close()
