"""Data files of the local blob store: durable writers and range readers over extents."""

from __future__ import annotations

import bisect
import hashlib
import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from basin.blobs.models import BlobProperties
from basin.blobs.store import BlobData, BlobReader

_WRITEBACK_BYTES = 256 * 1024


def data_path(data_dir: Path, file_id: str) -> Path:
    # 256 fan-out folders keep any one directory small.
    return data_dir / file_id[:2] / file_id


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def new_file(data_dir: Path) -> tuple[str, int]:
    """Create an empty data file under a fresh unique name; return (file id, fd)."""
    file_id = uuid.uuid4().hex
    path = data_path(data_dir, file_id)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    return file_id, fd


def _write_all(fd: int, buffer: memoryview) -> None:
    while buffer:
        written = os.write(fd, buffer)
        buffer = buffer[written:]


@dataclass(frozen=True)
class Sealed:
    """Durable bytes ready to be referenced by the index: inline bytes or one data file."""

    inline: bytes | None
    file_id: str | None
    size: int


class LocalData(BlobData):
    """Keeps small payloads in memory; spills larger ones to a fresh data file as they arrive.

    The file gets a unique name that nothing references yet, so a crash at any point leaves at
    worst an orphan file for ``collect_garbage``; the index row written after ``seal()`` is the
    commit point.
    """

    def __init__(self, data_dir: Path, inline_limit: int, compute_md5: bool) -> None:
        self._data_dir = data_dir
        self._inline_limit = inline_limit
        self._hash = hashlib.md5(usedforsecurity=False) if compute_md5 else None
        self._buffer = bytearray()
        self._fd: int | None = None
        self._file_id: str | None = None
        self._done = False
        self._written = 0
        self.size = 0

    def write(self, chunk: bytes) -> None:
        """Append ``chunk``; once past the inline limit, every call is one write to the file
        (callers batch small pieces; the blob service writes about 1 MiB at a time)."""
        if self._done:
            raise RuntimeError("this data was already handed over or discarded")
        if self._hash is not None:
            self._hash.update(chunk)
        self.size += len(chunk)
        if self._fd is not None:
            self._write_out(memoryview(chunk))
            return
        self._buffer += chunk
        if len(self._buffer) > self._inline_limit:
            self._file_id, self._fd = new_file(self._data_dir)
            pending, self._buffer = self._buffer, bytearray()
            self._write_out(memoryview(pending))

    def md5(self) -> bytes | None:
        return None if self._hash is None else self._hash.digest()

    def _write_out(self, view: memoryview) -> None:
        assert self._fd is not None
        offset = self._written
        _write_all(self._fd, view)
        self._written += len(view)
        if len(view) >= _WRITEBACK_BYTES:
            # Start writeback of this range now (DONTNEED on dirty pages only starts I/O and
            # keeps them cached), so the fsync in seal() finds little left to write.
            os.posix_fadvise(self._fd, offset, len(view), os.POSIX_FADV_DONTNEED)

    def seal(self, allow_inline: bool) -> Sealed:
        """Make the bytes durable (fsync file and folder) and stop accepting writes."""
        if self._done:
            raise RuntimeError("this data was already handed over or discarded")
        self._done = True
        if self._fd is None:
            if allow_inline:
                return Sealed(bytes(self._buffer), None, self.size)
            self._file_id, self._fd = new_file(self._data_dir)
        assert self._file_id is not None
        try:
            if self._buffer:
                pending, self._buffer = self._buffer, bytearray()
                self._write_out(memoryview(pending))
            os.fsync(self._fd)
        finally:
            os.close(self._fd)
            self._fd = None
        fsync_dir(data_path(self._data_dir, self._file_id).parent)
        return Sealed(None, self._file_id, self.size)

    def discard(self) -> None:
        self._done = True
        self._buffer = bytearray()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._file_id is not None:
            data_path(self._data_dir, self._file_id).unlink(missing_ok=True)
            self._file_id = None

    def take_file_id(self) -> str | None:
        """The file this data produced, for removal if the commit that follows fails."""
        return self._file_id


@dataclass(frozen=True)
class Extent:
    block_id: str
    file_id: str
    size: int


class LocalReader(BlobReader):
    """Reads a range across inline bytes or a sequence of extent files (pinned while open)."""

    def __init__(
        self,
        data_dir: Path,
        properties: BlobProperties,
        start: int,
        length: int,
        inline: bytes | None,
        extents: Sequence[Extent],
        on_close: Callable[[], None],
    ) -> None:
        self.properties = properties
        self.start = start
        self.length = length
        self._data_dir = data_dir
        self._inline = inline
        self._extents = list(extents)
        self._offsets = [0]
        for extent in self._extents:
            self._offsets.append(self._offsets[-1] + extent.size)
        self._position = start
        self._stop = start + length
        self._fd: int | None = None
        self._fd_index = -1
        self._on_close: Callable[[], None] | None = on_close

    def read(self, size: int) -> bytes:
        remaining = self._stop - self._position
        if remaining <= 0 or size <= 0:
            return b""
        size = min(size, remaining)
        if self._inline is not None:
            chunk = self._inline[self._position : self._position + size]
        else:
            index = bisect.bisect_right(self._offsets, self._position) - 1
            if index != self._fd_index:
                self._close_fd()
                path = data_path(self._data_dir, self._extents[index].file_id)
                self._fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
                self._fd_index = index
            assert self._fd is not None
            within = self._position - self._offsets[index]
            size = min(size, self._extents[index].size - within)
            chunk = os.pread(self._fd, size, within)
            if len(chunk) != size:
                raise OSError(f"data file {self._extents[index].file_id} is shorter than indexed")
        self._position += len(chunk)
        return chunk

    def _close_fd(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
            self._fd_index = -1

    def close(self) -> None:
        self._close_fd()
        if self._on_close is not None:
            on_close, self._on_close = self._on_close, None
            on_close()
