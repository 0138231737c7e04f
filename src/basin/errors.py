"""The one exception tree of basin.

Every error has a stable ``code`` (sent on the wire) and an HTTP ``status``. The server turns
these into ``{"error": {"code": ..., "message": ...}}`` in exactly one place, and the SDK turns
that body back into the same class, so ``except basin.errors.NotFoundError`` works on both sides.

    BasinError                      500  InternalError
    ├── ValidationError             400  ValidationError       bad field, bad name, bad YAML
    │   └── ImmutableFieldError     400  ImmutableField        a field that cannot change after creation
    ├── AuthenticationError         401  AuthenticationFailed  missing, unknown or expired credential
    ├── AuthorizationError          403  AuthorizationFailed   a valid caller without the needed role
    ├── NotFoundError               404  ResourceNotFound
    ├── ConflictError               409  Conflict              already exists, soft-deleted name, busy
    ├── RequestTimeoutError         408  RequestTimeout        a deployment answered too late
    ├── PreconditionFailedError     412  PreconditionFailed    stale etag
    ├── PayloadTooLargeError        413  PayloadTooLarge
    ├── BuildFailedError            422  BuildFailed           an environment could not be built
    ├── DeploymentFailedError       422  DeploymentFailed      a deployment could not be provisioned
    ├── TooManyRequestsError        429  TooManyRequests       a deployment's limit is reached
    ├── BadGatewayError             502  BadGateway            a replica failed
    └── ServiceUnavailableError     503  ServiceUnavailable    a dependency is not running
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AuthenticationError",
    "AuthorizationError",
    "BadGatewayError",
    "BasinError",
    "BuildFailedError",
    "ConflictError",
    "DeploymentFailedError",
    "ImmutableFieldError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PreconditionFailedError",
    "RequestTimeoutError",
    "ServiceUnavailableError",
    "TooManyRequestsError",
    "ValidationError",
    "error_from_code",
]


class BasinError(Exception):
    """Base of every error basin raises on purpose."""

    code: ClassVar[str] = "InternalError"
    status: ClassVar[int] = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_body(self) -> dict[str, dict[str, str]]:
        return {"error": {"code": self.code, "message": self.message}}


class ValidationError(BasinError):
    code = "ValidationError"
    status = 400


class ImmutableFieldError(ValidationError):
    code = "ImmutableField"


class AuthenticationError(BasinError):
    code = "AuthenticationFailed"
    status = 401


class AuthorizationError(BasinError):
    code = "AuthorizationFailed"
    status = 403


class NotFoundError(BasinError):
    code = "ResourceNotFound"
    status = 404


class ConflictError(BasinError):
    code = "Conflict"
    status = 409


class PreconditionFailedError(BasinError):
    code = "PreconditionFailed"
    status = 412


class RequestTimeoutError(BasinError):
    """A deployment did not answer within its request_timeout_ms (the gateway's 408)."""

    code = "RequestTimeout"
    status = 408


class TooManyRequestsError(BasinError):
    """Too many requests in flight for a deployment (the gateway's 429): retry later."""

    code = "TooManyRequests"
    status = 429


class BadGatewayError(BasinError):
    """A replica could not be reached or broke the exchange off (the gateway's 502)."""

    code = "BadGateway"
    status = 502


class PayloadTooLargeError(BasinError):
    code = "PayloadTooLarge"
    status = 413


class BuildFailedError(BasinError):
    code = "BuildFailed"
    status = 422


class DeploymentFailedError(BasinError):
    """A deployment could not be provisioned (its reason says why)."""

    code = "DeploymentFailed"
    status = 422


class ServiceUnavailableError(BasinError):
    code = "ServiceUnavailable"
    status = 503


def _all_subclasses(cls: type[BasinError]) -> list[type[BasinError]]:
    found = [cls]
    for sub in cls.__subclasses__():
        found.extend(_all_subclasses(sub))
    return found


def error_from_code(code: str, message: str, status: int | None = None) -> BasinError:
    """Rebuild the exception the server raised from the code (else the status) of its answer."""
    classes = _all_subclasses(BasinError)
    for cls in classes:
        if cls.code == code:
            return cls(message)
    for cls in classes:
        if cls.status == status:
            return cls(message)
    return BasinError(message)
