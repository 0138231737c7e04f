"""Protocol-level errors of the blob service (Azure status + error code), and their mapping."""

from __future__ import annotations

from basin.errors import (
    AuthenticationError,
    AuthorizationError,
    BasinError,
    ConflictError,
    NotFoundError,
    PayloadTooLargeError,
    PreconditionFailedError,
    ValidationError,
)

__all__ = ["WireError", "wire_status_and_code"]


class WireError(Exception):
    """An Azure Storage error response: status, ``x-ms-error-code``, message, extra headers."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.detail = detail


# basin's generic classes, for errors raised without an Azure code of their own.
_GENERIC_CODES: list[tuple[type[BasinError], int, str]] = [
    (ValidationError, 400, "InvalidInput"),
    (AuthenticationError, 403, "AuthenticationFailed"),
    (AuthorizationError, 403, "AuthorizationFailure"),
    (NotFoundError, 404, "ResourceNotFound"),
    (ConflictError, 409, "ResourceAlreadyExists"),
    (PreconditionFailedError, 412, "ConditionNotMet"),
    (PayloadTooLargeError, 413, "RequestBodyTooLarge"),
]


def wire_status_and_code(error: BasinError) -> tuple[int, str]:
    """Blob errors carry Azure codes already; basin's generic ones get the closest Azure code."""
    for cls, status, code in _GENERIC_CODES:
        if type(error) is cls:
            return status, code
    return error.status, error.code
