"""Blob errors: basin's error tree with the Azure Storage error codes the blob service sends.

Each class keeps the HTTP status of its basin parent (except ``InvalidRangeError``, 416), so code
that catches ``basin.errors.NotFoundError`` also catches ``BlobNotFoundError``.
"""

from __future__ import annotations

from basin.errors import (
    ConflictError,
    NotFoundError,
    PayloadTooLargeError,
    PreconditionFailedError,
    ValidationError,
)

__all__ = [
    "BlobAlreadyExistsError",
    "BlobNotFoundError",
    "ConditionNotMetError",
    "ContainerAlreadyExistsError",
    "ContainerNotFoundError",
    "InvalidBlobOrBlockError",
    "InvalidBlockListError",
    "InvalidRangeError",
    "InvalidResourceNameError",
    "Md5MismatchError",
    "NotModifiedError",
    "OutOfRangeInputError",
    "RequestBodyTooLargeError",
    "UnsatisfiableConditionError",
]


class BlobNotFoundError(NotFoundError):
    code = "BlobNotFound"


class ContainerNotFoundError(NotFoundError):
    code = "ContainerNotFound"


class BlobAlreadyExistsError(ConflictError):
    code = "BlobAlreadyExists"


class ContainerAlreadyExistsError(ConflictError):
    code = "ContainerAlreadyExists"


class ConditionNotMetError(PreconditionFailedError):
    code = "ConditionNotMet"


class NotModifiedError(PreconditionFailedError):
    """A read whose If-None-Match / If-Modified-Since says the caller's copy is current (304)."""

    code = "ConditionNotMet"
    status = 304


class InvalidResourceNameError(ValidationError):
    code = "InvalidResourceName"


class OutOfRangeInputError(ValidationError):
    code = "OutOfRangeInput"


class InvalidBlobOrBlockError(ValidationError):
    code = "InvalidBlobOrBlock"


class InvalidBlockListError(ValidationError):
    code = "InvalidBlockList"


class Md5MismatchError(ValidationError):
    code = "Md5Mismatch"


class InvalidRangeError(ValidationError):
    """A range that starts at or after the end of the blob; ``size`` is the blob's size, which
    Azure names in the 416 reply (``Content-Range: bytes */<size>``)."""

    code = "InvalidRange"
    status = 416

    def __init__(self, message: str, size: int | None = None) -> None:
        super().__init__(message)
        self.size = size


class UnsatisfiableConditionError(ValidationError):
    """A read with ``If-None-Match: *``: it could only succeed on a blob that does not exist."""

    code = "UnsatisfiableCondition"


class RequestBodyTooLargeError(PayloadTooLargeError):
    code = "RequestBodyTooLarge"
