"""Plain data of the blob store: properties, listings, conditions (no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from basin.blobs.errors import (
    BlobAlreadyExistsError,
    ConditionNotMetError,
    NotModifiedError,
    UnsatisfiableConditionError,
)

__all__ = [
    "BlobPage",
    "BlobProperties",
    "BlockEntry",
    "BlockList",
    "BlockListType",
    "BlockRef",
    "Conditions",
    "ContainerPage",
    "ContainerProperties",
    "ContentSettings",
]


@dataclass(frozen=True)
class ContentSettings:
    """The HTTP headers stored with a blob and returned when it is read."""

    content_type: str = "application/octet-stream"
    content_encoding: str | None = None
    content_language: str | None = None
    content_disposition: str | None = None
    cache_control: str | None = None
    content_md5: bytes | None = None


@dataclass(frozen=True)
class ContainerProperties:
    account: str
    name: str
    etag: str
    """Unquoted, e.g. ``0x8DC4A1B2C3D4E5F``."""
    last_modified: datetime
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BlobProperties:
    account: str
    container: str
    name: str
    size: int
    etag: str
    """Unquoted, e.g. ``0x8DC4A1B2C3D4E5F``."""
    last_modified: datetime
    creation_time: datetime
    content: ContentSettings
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ContainerPage:
    containers: list[ContainerProperties]
    next_marker: str | None


@dataclass(frozen=True)
class BlobPage:
    """One page of a listing: blobs and (with a delimiter) virtual-directory prefixes, in order."""

    items: list[BlobProperties | str]
    next_marker: str | None

    @property
    def blobs(self) -> list[BlobProperties]:
        return [item for item in self.items if isinstance(item, BlobProperties)]

    @property
    def prefixes(self) -> list[str]:
        return [item for item in self.items if isinstance(item, str)]


class BlockListType(Enum):
    """Where Put Block List looks a block id up (Azure's element names)."""

    COMMITTED = "Committed"
    UNCOMMITTED = "Uncommitted"
    LATEST = "Latest"


@dataclass(frozen=True)
class BlockRef:
    block_id: str
    kind: BlockListType = BlockListType.LATEST


@dataclass(frozen=True)
class BlockEntry:
    block_id: str
    size: int


@dataclass(frozen=True)
class BlockList:
    committed: list[BlockEntry]
    uncommitted: list[BlockEntry]


def _etag_matches(header: str, etag: str) -> bool:
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate.startswith("W/"):
            candidate = candidate[2:]
        if candidate == "*" or candidate.strip('"') == etag:
            return True
    return False


def _seconds(moment: datetime) -> datetime:
    # HTTP dates have one-second resolution: compare at that resolution.
    return moment.replace(microsecond=0)


@dataclass(frozen=True)
class Conditions:
    """HTTP conditional headers, evaluated by the store at the moment of change."""

    if_match: str | None = None
    if_none_match: str | None = None
    if_modified_since: datetime | None = None
    if_unmodified_since: datetime | None = None

    @property
    def is_empty(self) -> bool:
        return not (
            self.if_match
            or self.if_none_match
            or self.if_modified_since
            or self.if_unmodified_since
        )

    @property
    def create_only(self) -> bool:
        """``If-None-Match: *``: the write may only create, never overwrite."""
        return self.if_none_match is not None and self.if_none_match.strip() == "*"

    def check_write(self, etag: str | None, last_modified: datetime | None) -> None:
        """Raise unless a write may replace the current version (``etag`` None: none exists)."""
        if self.is_empty:
            return
        if etag is None or last_modified is None:
            if self.if_match is not None:
                raise ConditionNotMetError(
                    "The condition specified using HTTP conditional header(s) is not met."
                )
            return
        if self.create_only:
            raise BlobAlreadyExistsError("The specified blob already exists.")
        self._check(etag, last_modified, ConditionNotMetError)

    def check_read(self, etag: str | None, last_modified: datetime | None) -> None:
        """Raise ConditionNotMet (412) or NotModified (304) as Azure does for a read (``etag``
        None: the blob does not exist, where any If-Match fails). ``If-None-Match: *`` can never
        hold for a read, whether or not the blob exists: UnsatisfiableCondition (400)."""
        if self.is_empty:
            return
        if self.create_only:
            raise UnsatisfiableConditionError(
                "The request includes an unsatisfiable condition for this operation."
            )
        if etag is None or last_modified is None:
            if self.if_match is not None:
                raise ConditionNotMetError(
                    "The condition specified using HTTP conditional header(s) is not met."
                )
            return
        self._check(etag, last_modified, NotModifiedError)

    def _check(
        self,
        etag: str,
        last_modified: datetime,
        unchanged_error: type[ConditionNotMetError] | type[NotModifiedError],
    ) -> None:
        message = "The condition specified using HTTP conditional header(s) is not met."
        if self.if_match is not None and not _etag_matches(self.if_match, etag):
            raise ConditionNotMetError(message)
        if self.if_unmodified_since is not None and _seconds(last_modified) > _seconds(
            self.if_unmodified_since
        ):
            raise ConditionNotMetError(message)
        if self.if_none_match is not None and _etag_matches(self.if_none_match, etag):
            raise unchanged_error(message)
        if self.if_modified_since is not None and _seconds(last_modified) <= _seconds(
            self.if_modified_since
        ):
            raise unchanged_error(message)
