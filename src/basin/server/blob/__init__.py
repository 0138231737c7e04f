"""The Azure Blob REST service (the subset ``azure-storage-blob`` uses) over a BlobStore."""

from __future__ import annotations

from basin.blobs.access import (
    BLOBS_ADD,
    BLOBS_DELETE,
    BLOBS_READ,
    BLOBS_WRITE,
    CONTAINERS_DELETE,
    CONTAINERS_READ,
    CONTAINERS_WRITE,
    AccountDirectory,
    BearerAuthorizer,
    InvalidTokenError,
    PermissionDeniedError,
    StaticAccountDirectory,
)
from basin.server.blob.app import DEFAULT_AUTHORIZATION_URI, BlobApp, Limits, create_blob_app

__all__ = [
    "BLOBS_ADD",
    "BLOBS_DELETE",
    "BLOBS_READ",
    "BLOBS_WRITE",
    "CONTAINERS_DELETE",
    "CONTAINERS_READ",
    "CONTAINERS_WRITE",
    "DEFAULT_AUTHORIZATION_URI",
    "AccountDirectory",
    "BearerAuthorizer",
    "BlobApp",
    "InvalidTokenError",
    "Limits",
    "PermissionDeniedError",
    "StaticAccountDirectory",
    "create_blob_app",
]
