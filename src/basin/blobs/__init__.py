"""Blob storage: the BlobStore interface and its local-folder back end (``LocalBlobStore``)."""

from __future__ import annotations

from basin.blobs.errors import (
    BlobAlreadyExistsError,
    BlobNotFoundError,
    ConditionNotMetError,
    ContainerAlreadyExistsError,
    ContainerNotFoundError,
    InvalidBlobOrBlockError,
    InvalidBlockListError,
    InvalidRangeError,
    InvalidResourceNameError,
    Md5MismatchError,
    NotModifiedError,
    OutOfRangeInputError,
    RequestBodyTooLargeError,
)
from basin.blobs.local import LocalBlobStore
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
    validate_account_name,
    validate_blob_name,
    validate_block_id,
    validate_container_name,
    validate_metadata,
)
from basin.blobs.store import BlobData, BlobReader, BlobStore

__all__ = [
    "BlobAlreadyExistsError",
    "BlobData",
    "BlobNotFoundError",
    "BlobPage",
    "BlobProperties",
    "BlobReader",
    "BlobStore",
    "BlockEntry",
    "BlockList",
    "BlockListType",
    "BlockRef",
    "ConditionNotMetError",
    "Conditions",
    "ContainerAlreadyExistsError",
    "ContainerNotFoundError",
    "ContainerPage",
    "ContainerProperties",
    "ContentSettings",
    "InvalidBlobOrBlockError",
    "InvalidBlockListError",
    "InvalidRangeError",
    "InvalidResourceNameError",
    "LocalBlobStore",
    "Md5MismatchError",
    "NotModifiedError",
    "OutOfRangeInputError",
    "RequestBodyTooLargeError",
    "validate_account_name",
    "validate_blob_name",
    "validate_block_id",
    "validate_container_name",
    "validate_metadata",
]
