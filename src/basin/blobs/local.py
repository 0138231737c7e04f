"""LocalBlobStore: blobs in a folder, an SQLite index as the single commit point of every change.

Layout under ``root``::

    index.sqlite3     containers, blobs (properties + where the bytes are), staged blocks
    data/xx/<id>      immutable data files: a single-shot blob, or one staged/committed block

Blobs up to ``inline_limit`` bytes live inside their index row. Bigger ones are data files
written under fresh names and fsynced before the row naming them commits; a block-list commit
only re-points the row at the staged block files (no copy). Names never become paths, so the
blobs ``a`` and ``a/b`` coexist. Files a change replaces are unlinked after its commit, or when
the last reader that pinned them closes; files orphaned by a crash are swept by
``collect_garbage``.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from pathlib import Path

from basin.blobs import _local_index as ix
from basin.blobs import _local_listing as listing
from basin.blobs._local_files import Extent, LocalData, LocalReader
from basin.blobs._local_pins import FilePins
from basin.blobs.errors import (
    BlobNotFoundError,
    ContainerAlreadyExistsError,
    ContainerNotFoundError,
    InvalidBlobOrBlockError,
    InvalidBlockListError,
    InvalidRangeError,
)
from basin.blobs.models import (
    BlobPage,
    BlobProperties,
    BlockEntry,
    BlockList,
    BlockListType,
    BlockRef,
    Conditions,
    ContainerPage,
    ContainerProperties,
    ContentSettings,
)
from basin.blobs.names import (
    validate_blob_name,
    validate_block_id,
    validate_container_name,
    validate_metadata,
)
from basin.blobs.store import DEFAULT_MAX_RESULTS, BlobData, BlobReader, BlobStore

__all__ = ["LocalBlobStore"]

_NO_CONDITIONS = Conditions()
_DEFAULT_CONTENT = ContentSettings()
MAX_COMMITTED_BLOCKS = 50_000


class LocalBlobStore(BlobStore):
    def __init__(
        self,
        root: Path,
        *,
        inline_limit: int = 64 * 1024,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.root = Path(root)
        self._data_dir = self.root / "data"
        self._data_dir.mkdir(parents=True, exist_ok=True)
        self._inline_limit = inline_limit
        self._clock = clock
        self._etags = ix.EtagClock()
        self._index = ix.Index(self.root / "index.sqlite3")
        self._pins = FilePins(self._data_dir)

    def close(self) -> None:
        self._index.close()

    # ---- helpers ------------------------------------------------------------------------------
    def _stamp(self) -> tuple[float, str]:
        return self._clock(), self._etags.next()

    @staticmethod
    def _require_container(db: sqlite3.Connection, account: str, container: str) -> None:
        found = db.execute(
            "SELECT 1 FROM containers WHERE account=? AND name=?", (account, container)
        ).fetchone()
        if found is None:
            raise ContainerNotFoundError("The specified container does not exist.")

    @staticmethod
    def _blob_row(
        db: sqlite3.Connection, account: str, container: str, name: str, columns: str
    ) -> tuple[object, ...] | None:
        row: tuple[object, ...] | None = db.execute(
            f"SELECT {columns} FROM blobs WHERE account=? AND container=? AND name=?",
            (account, container, name),
        ).fetchone()
        return row

    @staticmethod
    def _files_of(extents_json: object) -> set[str]:
        return {e.file_id for e in ix.extents_from_json(str(extents_json))}

    # ---- containers ---------------------------------------------------------------------------
    def create_container(
        self, account: str, container: str, metadata: Mapping[str, str] | None = None
    ) -> ContainerProperties:
        validate_container_name(container)
        meta = validate_metadata(dict(metadata or {}))
        now, etag = self._stamp()
        try:
            with self._index.write() as db:
                db.execute(
                    "INSERT INTO containers VALUES (?, ?, ?, ?, ?)",
                    (account, container, etag, now, json.dumps(meta)),
                )
        except sqlite3.IntegrityError:
            raise ContainerAlreadyExistsError("The specified container already exists.") from None
        return ContainerProperties(account, container, etag, ix.to_datetime(now), meta)

    def get_container(self, account: str, container: str) -> ContainerProperties:
        with self._index.read() as db:
            row = db.execute(
                "SELECT account, name, etag, last_modified, metadata FROM containers "
                "WHERE account=? AND name=?",
                (account, container),
            ).fetchone()
        if row is None:
            raise ContainerNotFoundError("The specified container does not exist.")
        return ix.container_from_row(row)

    def set_container_metadata(
        self,
        account: str,
        container: str,
        metadata: Mapping[str, str],
        conditions: Conditions = _NO_CONDITIONS,
    ) -> ContainerProperties:
        meta = validate_metadata(dict(metadata))
        now, etag = self._stamp()
        with self._index.write() as db:
            row = db.execute(
                "SELECT etag, last_modified FROM containers WHERE account=? AND name=?",
                (account, container),
            ).fetchone()
            if row is None:
                raise ContainerNotFoundError("The specified container does not exist.")
            conditions.check_write(row[0], ix.to_datetime(row[1]))
            db.execute(
                "UPDATE containers SET etag=?, last_modified=?, metadata=? "
                "WHERE account=? AND name=?",
                (etag, now, json.dumps(meta), account, container),
            )
        return ContainerProperties(account, container, etag, ix.to_datetime(now), meta)

    def delete_container(
        self, account: str, container: str, conditions: Conditions = _NO_CONDITIONS
    ) -> None:
        doomed: set[str] = set()
        with self._index.write() as db:
            row = db.execute(
                "SELECT etag, last_modified FROM containers WHERE account=? AND name=?",
                (account, container),
            ).fetchone()
            if row is None:
                raise ContainerNotFoundError("The specified container does not exist.")
            conditions.check_write(row[0], ix.to_datetime(row[1]))
            where, row_key = "account=? AND container=?", (account, container)
            for (extents,) in db.execute(f"SELECT extents FROM blobs WHERE {where}", row_key):
                doomed |= self._files_of(extents)
            blocks = db.execute(f"SELECT file_id FROM blocks WHERE {where}", row_key)
            doomed |= {file_id for (file_id,) in blocks}
            db.execute(f"DELETE FROM blobs WHERE {where}", row_key)
            db.execute(f"DELETE FROM blocks WHERE {where}", row_key)
            db.execute("DELETE FROM containers WHERE account=? AND name=?", row_key)
        self._pins.release(doomed)

    def list_containers(
        self,
        account: str,
        prefix: str = "",
        marker: str | None = None,
        max_results: int = DEFAULT_MAX_RESULTS,
    ) -> ContainerPage:
        with self._index.read() as db:
            return listing.list_containers(db, account, prefix, marker, max_results)

    # ---- writing blobs ------------------------------------------------------------------------
    def new_data(self, compute_md5: bool = True) -> BlobData:
        return LocalData(self._data_dir, self._inline_limit, compute_md5)

    @staticmethod
    def _local(data: BlobData) -> LocalData:
        if not isinstance(data, LocalData):
            raise TypeError("data must come from this store's new_data()")
        return data

    def put_blob(
        self,
        account: str,
        container: str,
        name: str,
        data: BlobData,
        content: ContentSettings = _DEFAULT_CONTENT,
        metadata: Mapping[str, str] | None = None,
        conditions: Conditions = _NO_CONDITIONS,
    ) -> BlobProperties:
        local = self._local(data)
        try:
            validate_blob_name(name)
            meta = validate_metadata(dict(metadata or {}))
            md5 = local.md5() or content.content_md5
            sealed = local.seal(allow_inline=True)
            extents = [Extent("", sealed.file_id, sealed.size)] if sealed.file_id else []
            return self._commit(
                account, container, name, sealed.size, sealed.inline, extents,
                ContentSettings(**{**content.__dict__, "content_md5": md5}), meta, conditions,
                None,
            )  # fmt: skip
        except BaseException:
            local.discard()
            raise

    def _commit(
        self,
        account: str,
        container: str,
        name: str,
        size: int,
        inline: bytes | None,
        extents: list[Extent] | None,
        content: ContentSettings,
        metadata: dict[str, str],
        conditions: Conditions,
        resolve: Callable[[dict[str, Extent], dict[str, Extent]], list[Extent]] | None,
    ) -> BlobProperties:
        """One transaction: check conditions, write the row, drop the blob's staged blocks."""
        now, etag = self._stamp()
        with self._index.write() as db:
            self._require_container(db, account, container)
            current = self._blob_row(
                db, account, container, name, "etag, last_modified, created, extents"
            )
            if current is None:
                conditions.check_write(None, None)
                created = now
                old_extents: list[Extent] = []
            else:
                conditions.check_write(str(current[0]), ix.to_datetime(float(str(current[1]))))
                created = float(str(current[2]))
                old_extents = ix.extents_from_json(str(current[3]))
            key = (account, container, name)
            staged = {
                block_id: Extent(block_id, file_id, block_size)
                for block_id, file_id, block_size in db.execute(
                    "SELECT block_id, file_id, size FROM blocks "
                    "WHERE account=? AND container=? AND blob=?",
                    key,
                )
            }
            if resolve is not None:  # a block list: resolve its ids against both sets
                committed = {e.block_id: e for e in old_extents if e.block_id}
                extents = resolve(committed, staged)
                size = sum(e.size for e in extents)
            assert extents is not None
            db.execute(
                "INSERT OR REPLACE INTO blobs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    *key, size, etag, now, created, ix.content_to_json(content),
                    content.content_md5, json.dumps(metadata), inline, ix.extents_to_json(extents),
                ),
            )  # fmt: skip
            db.execute("DELETE FROM blocks WHERE account=? AND container=? AND blob=?", key)
        kept = {e.file_id for e in extents}
        self._pins.release(
            ({e.file_id for e in old_extents} | {e.file_id for e in staged.values()}) - kept
        )
        return BlobProperties(
            account, container, name, size, etag, ix.to_datetime(now), ix.to_datetime(created),
            content, metadata,
        )  # fmt: skip

    def stage_block(
        self, account: str, container: str, name: str, block_id: str, data: BlobData
    ) -> None:
        local = self._local(data)
        try:
            validate_blob_name(name)
            validate_block_id(block_id)
            sealed = local.seal(allow_inline=False)
            key = (account, container, name)
            with self._index.write() as db:
                self._require_container(db, account, container)
                other = db.execute(
                    "SELECT block_id FROM blocks WHERE account=? AND container=? AND blob=? "
                    "AND block_id != ? LIMIT 1",
                    (*key, block_id),
                ).fetchone()
                if other is not None and len(other[0]) != len(block_id):
                    raise InvalidBlobOrBlockError(
                        "All block ids of a blob must have the same length."
                    )
                previous = db.execute(
                    "SELECT file_id FROM blocks WHERE account=? AND container=? AND blob=? "
                    "AND block_id=?",
                    (*key, block_id),
                ).fetchone()
                db.execute(
                    "INSERT OR REPLACE INTO blocks VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (*key, block_id, sealed.file_id, sealed.size, self._clock()),
                )
        except BaseException:
            local.discard()
            raise
        if previous is not None:
            self._pins.release({previous[0]})

    def commit_block_list(
        self,
        account: str,
        container: str,
        name: str,
        blocks: Sequence[BlockRef],
        content: ContentSettings = _DEFAULT_CONTENT,
        metadata: Mapping[str, str] | None = None,
        conditions: Conditions = _NO_CONDITIONS,
    ) -> BlobProperties:
        validate_blob_name(name)
        meta = validate_metadata(dict(metadata or {}))
        if len(blocks) > MAX_COMMITTED_BLOCKS:
            raise InvalidBlockListError(f"A blob has at most {MAX_COMMITTED_BLOCKS} blocks.")

        def resolve(committed: dict[str, Extent], staged: dict[str, Extent]) -> list[Extent]:
            chosen: list[Extent] = []
            for ref in blocks:
                if ref.kind is BlockListType.UNCOMMITTED:
                    extent = staged.get(ref.block_id)
                elif ref.kind is BlockListType.COMMITTED:
                    extent = committed.get(ref.block_id)
                else:
                    extent = staged.get(ref.block_id) or committed.get(ref.block_id)
                if extent is None:
                    raise InvalidBlockListError("The specified block list is invalid.")
                chosen.append(extent)
            return chosen

        return self._commit(
            account, container, name, 0, None, None, content, meta, conditions, resolve
        )

    def update_blob(
        self,
        account: str,
        container: str,
        name: str,
        *,
        content: ContentSettings | None = None,
        metadata: Mapping[str, str] | None = None,
        conditions: Conditions = _NO_CONDITIONS,
    ) -> BlobProperties:
        meta = None if metadata is None else validate_metadata(dict(metadata))
        now, etag = self._stamp()
        with self._index.write() as db:
            self._require_container(db, account, container)
            row = self._blob_row(db, account, container, name, ix.BLOB_COLUMNS)
            if row is None:
                raise BlobNotFoundError("The specified blob does not exist.")
            props = ix.blob_from_row(row)
            conditions.check_write(props.etag, props.last_modified)
            new_content = props.content if content is None else content
            new_meta = dict(props.metadata) if meta is None else meta
            db.execute(
                "UPDATE blobs SET etag=?, last_modified=?, content=?, content_md5=?, metadata=? "
                "WHERE account=? AND container=? AND name=?",
                (
                    etag, now, ix.content_to_json(new_content), new_content.content_md5,
                    json.dumps(new_meta), account, container, name,
                ),
            )  # fmt: skip
        return BlobProperties(
            account, container, name, props.size, etag, ix.to_datetime(now),
            props.creation_time, new_content, new_meta,
        )  # fmt: skip

    def delete_blob(
        self, account: str, container: str, name: str, conditions: Conditions = _NO_CONDITIONS
    ) -> None:
        key = (account, container, name)
        with self._index.write() as db:
            self._require_container(db, account, container)
            row = self._blob_row(db, *key, "etag, last_modified, extents")
            if row is None:
                raise BlobNotFoundError("The specified blob does not exist.")
            conditions.check_write(str(row[0]), ix.to_datetime(float(str(row[1]))))
            doomed = self._files_of(row[2])
            doomed |= {
                f
                for (f,) in db.execute(
                    "SELECT file_id FROM blocks WHERE account=? AND container=? AND blob=?", key
                )
            }
            db.execute("DELETE FROM blobs WHERE account=? AND container=? AND name=?", key)
            db.execute("DELETE FROM blocks WHERE account=? AND container=? AND blob=?", key)
        self._pins.release(doomed)

    # ---- reading blobs ------------------------------------------------------------------------
    def get_block_list(self, account: str, container: str, name: str) -> BlockList:
        key = (account, container, name)
        with self._index.read() as db:
            self._require_container(db, account, container)
            row = self._blob_row(db, *key, "extents")
            staged = db.execute(
                "SELECT block_id, size FROM blocks WHERE account=? AND container=? AND blob=? "
                "ORDER BY staged, block_id",
                key,
            ).fetchall()
        if row is None and not staged:
            raise BlobNotFoundError("The specified blob does not exist.")
        committed = [] if row is None else ix.extents_from_json(str(row[0]))
        return BlockList(
            [BlockEntry(e.block_id, e.size) for e in committed if e.block_id],
            [BlockEntry(block_id, size) for block_id, size in staged],
        )

    def get_blob_properties(self, account: str, container: str, name: str) -> BlobProperties:
        with self._index.read() as db:
            self._require_container(db, account, container)
            row = self._blob_row(db, account, container, name, ix.BLOB_COLUMNS)
        if row is None:
            raise BlobNotFoundError("The specified blob does not exist.")
        return ix.blob_from_row(row)

    def open_blob(
        self,
        account: str,
        container: str,
        name: str,
        byte_range: tuple[int, int | None] | None = None,
        conditions: Conditions = _NO_CONDITIONS,
    ) -> BlobReader:
        # Reading the row and pinning its files under the pin lock means a concurrent
        # overwrite cannot unlink them before this reader is done with them.
        with self._pins.lock, self._index.read() as db:
            self._require_container(db, account, container)
            row = self._blob_row(
                db, account, container, name, f"{ix.BLOB_COLUMNS}, inline, extents"
            )
            if row is None:
                conditions.check_read(None, None)
                raise BlobNotFoundError("The specified blob does not exist.")
            props = ix.blob_from_row(row)
            conditions.check_read(props.etag, props.last_modified)
            start, length = 0, props.size
            if byte_range is not None:
                start, end = byte_range
                if start >= props.size or (end is not None and end < start):
                    raise InvalidRangeError(
                        "The range specified is invalid for the current size of the resource.",
                        props.size,
                    )
                last = props.size - 1 if end is None else min(end, props.size - 1)
                length = last - start + 1
            inline = row[10]
            extents = ix.extents_from_json(str(row[11]))
            pinned = [e.file_id for e in extents]
            self._pins.pin_locked(pinned)
        return LocalReader(
            self._data_dir, props, start, length,
            inline if isinstance(inline, bytes) else None,
            extents, lambda: self._pins.unpin(pinned),
        )  # fmt: skip

    def list_blobs(
        self,
        account: str,
        container: str,
        prefix: str = "",
        delimiter: str | None = None,
        marker: str | None = None,
        max_results: int = DEFAULT_MAX_RESULTS,
    ) -> BlobPage:
        with self._index.read() as db:
            self._require_container(db, account, container)
            return listing.list_blobs(
                db, account, container, prefix, delimiter, marker, max_results
            )

    # ---- maintenance --------------------------------------------------------------------------
    def collect_garbage(
        self, older_than: timedelta, *, orphans_older_than: timedelta | None = None
    ) -> int:
        cutoff = self._clock() - older_than.total_seconds()
        orphan_age = older_than if orphans_older_than is None else orphans_older_than
        orphan_cutoff = self._clock() - orphan_age.total_seconds()
        with self._index.write() as db:
            stale = db.execute("SELECT file_id FROM blocks WHERE staged < ?", (cutoff,)).fetchall()
            db.execute("DELETE FROM blocks WHERE staged < ?", (cutoff,))
        removed = len(stale)
        self._pins.release({f for (f,) in stale})
        with self._index.read() as db:
            referenced = {f for (f,) in db.execute("SELECT file_id FROM blocks")}
            for (extents,) in db.execute("SELECT extents FROM blobs WHERE extents != '[]'"):
                referenced |= self._files_of(extents)
        removed += self._pins.sweep_orphans(referenced, orphan_cutoff)
        return removed
