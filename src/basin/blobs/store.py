"""The BlobStore interface: a few abstract operations and the helpers derived from them once."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from datetime import timedelta
from types import TracebackType

from basin.blobs.errors import BlobNotFoundError
from basin.blobs.models import (
    BlobPage,
    BlobProperties,
    BlockList,
    BlockRef,
    Conditions,
    ContainerPage,
    ContainerProperties,
    ContentSettings,
)

__all__ = ["DEFAULT_MAX_RESULTS", "BlobData", "BlobReader", "BlobStore"]

DEFAULT_MAX_RESULTS = 5000
_NO_CONDITIONS = Conditions()
_DEFAULT_CONTENT = ContentSettings()


class BlobData(ABC):
    """Bytes being received for a blob or a block, handed to ``put_blob`` or ``stage_block``.

    Whoever creates it must either hand it to the store or call ``discard()``.
    """

    size: int

    @abstractmethod
    def write(self, chunk: bytes) -> None: ...

    @abstractmethod
    def md5(self) -> bytes | None:
        """MD5 digest of everything written, or None when it was not asked for."""

    @abstractmethod
    def discard(self) -> None:
        """Forget what was written (idempotent; a no-op once the store took it)."""


class BlobReader(ABC):
    """An open, consistent view of one version of a blob's bytes (a range of them)."""

    properties: BlobProperties
    start: int
    length: int

    @property
    def end(self) -> int:
        """Inclusive offset of the last byte served (start - 1 when empty)."""
        return self.start + self.length - 1

    @abstractmethod
    def read(self, size: int) -> bytes:
        """Up to ``size`` next bytes of the range; ``b""`` at its end."""

    @abstractmethod
    def close(self) -> None: ...

    def chunks(self, size: int = 1 << 20) -> Iterator[bytes]:
        while chunk := self.read(size):
            yield chunk

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class BlobStore(ABC):
    """Accounts -> containers -> block blobs, with Azure's semantics.

    Every change is atomic: a reader sees the previous version or the new one, never a mix, and a
    process killed in the middle of a change leaves the previous version.
    """

    # ---- containers -------------------------------------------------------------------------
    @abstractmethod
    def create_container(
        self, account: str, container: str, metadata: Mapping[str, str] | None = None
    ) -> ContainerProperties: ...

    @abstractmethod
    def get_container(self, account: str, container: str) -> ContainerProperties: ...

    @abstractmethod
    def set_container_metadata(
        self,
        account: str,
        container: str,
        metadata: Mapping[str, str],
        conditions: Conditions = _NO_CONDITIONS,
    ) -> ContainerProperties: ...

    @abstractmethod
    def delete_container(
        self, account: str, container: str, conditions: Conditions = _NO_CONDITIONS
    ) -> None:
        """Delete a container and every blob in it."""

    @abstractmethod
    def list_containers(
        self,
        account: str,
        prefix: str = "",
        marker: str | None = None,
        max_results: int = DEFAULT_MAX_RESULTS,
    ) -> ContainerPage: ...

    # ---- blobs ------------------------------------------------------------------------------
    @abstractmethod
    def new_data(self, compute_md5: bool = True) -> BlobData:
        """A buffer for the bytes of a coming ``put_blob`` or ``stage_block``."""

    @abstractmethod
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
        """Create or replace a blob with ``data`` (consumed, even on error)."""

    @abstractmethod
    def stage_block(
        self, account: str, container: str, name: str, block_id: str, data: BlobData
    ) -> None:
        """Stage an uncommitted block (``data`` consumed, even on error)."""

    @abstractmethod
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
        """Make the listed blocks the blob's content; other uncommitted blocks are dropped."""

    @abstractmethod
    def get_block_list(self, account: str, container: str, name: str) -> BlockList: ...

    @abstractmethod
    def get_blob_properties(self, account: str, container: str, name: str) -> BlobProperties: ...

    @abstractmethod
    def open_blob(
        self,
        account: str,
        container: str,
        name: str,
        byte_range: tuple[int, int | None] | None = None,
        conditions: Conditions = _NO_CONDITIONS,
    ) -> BlobReader:
        """Open the blob (or the inclusive ``byte_range``) for streaming.

        Raises InvalidRangeError when the range starts at or after the end of the blob.
        """

    @abstractmethod
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
        """Replace the content settings and/or the metadata (given ones only); new ETag."""

    @abstractmethod
    def delete_blob(
        self, account: str, container: str, name: str, conditions: Conditions = _NO_CONDITIONS
    ) -> None: ...

    @abstractmethod
    def list_blobs(
        self,
        account: str,
        container: str,
        prefix: str = "",
        delimiter: str | None = None,
        marker: str | None = None,
        max_results: int = DEFAULT_MAX_RESULTS,
    ) -> BlobPage:
        """Blobs in name order; with a delimiter, names past it fold into one prefix entry."""

    @abstractmethod
    def collect_garbage(
        self, older_than: timedelta, *, orphans_older_than: timedelta | None = None
    ) -> int:
        """Drop uncommitted blocks older than ``older_than`` and orphaned data older than
        ``orphans_older_than`` (default: ``older_than``); return a count. At start, when no
        write is in flight, every orphan may go (``timedelta(0)``)."""

    # ---- derived helpers --------------------------------------------------------------------
    def put_blob_bytes(
        self,
        account: str,
        container: str,
        name: str,
        payload: bytes,
        content: ContentSettings = _DEFAULT_CONTENT,
        metadata: Mapping[str, str] | None = None,
        conditions: Conditions = _NO_CONDITIONS,
    ) -> BlobProperties:
        data = self.new_data()
        try:
            data.write(payload)
        except BaseException:
            data.discard()
            raise
        return self.put_blob(account, container, name, data, content, metadata, conditions)

    def read_blob_bytes(
        self,
        account: str,
        container: str,
        name: str,
        byte_range: tuple[int, int | None] | None = None,
    ) -> bytes:
        """The whole blob (or a range) in memory: for small blobs only."""
        with self.open_blob(account, container, name, byte_range) as reader:
            return b"".join(reader.chunks())

    def blob_exists(self, account: str, container: str, name: str) -> bool:
        try:
            self.get_blob_properties(account, container, name)
        except BlobNotFoundError:
            return False
        return True

    def iter_blobs(
        self, account: str, container: str, prefix: str = ""
    ) -> Iterator[BlobProperties]:
        """Every blob under ``prefix``, following the pages."""
        marker: str | None = None
        while True:
            page = self.list_blobs(account, container, prefix=prefix, marker=marker)
            yield from page.blobs
            if not page.next_marker:
                return
            marker = page.next_marker

    def iter_containers(self, account: str, prefix: str = "") -> Iterator[ContainerProperties]:
        marker: str | None = None
        while True:
            page = self.list_containers(account, prefix=prefix, marker=marker)
            yield from page.containers
            if not page.next_marker:
                return
            marker = page.next_marker
