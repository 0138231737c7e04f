"""Validation of account, container, blob and block names (Azure's rules, plus no path traversal)."""

from __future__ import annotations

import base64
import binascii
import re

from basin.blobs.errors import (
    InvalidBlobOrBlockError,
    InvalidResourceNameError,
    OutOfRangeInputError,
)

__all__ = [
    "MAX_BLOB_NAME_LENGTH",
    "validate_account_name",
    "validate_blob_name",
    "validate_block_id",
    "validate_container_name",
    "validate_metadata",
]

MAX_BLOB_NAME_LENGTH = 1024
_CONTAINER_RE = re.compile(r"[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9]))*")
_ACCOUNT_RE = re.compile(r"[a-z0-9]{3,24}")
_METADATA_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Control characters cannot travel in a URL path unharmed and break listings and logs.
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_MAX_BLOCK_ID_BYTES = 64


def validate_account_name(name: str) -> str:
    """Storage account names: 3-24 lowercase letters and digits."""
    if not _ACCOUNT_RE.fullmatch(name):
        raise InvalidResourceNameError(
            f"Invalid account name {name!r}: use 3-24 lowercase letters and digits."
        )
    return name


def validate_container_name(name: str) -> str:
    """Container names: 3-63 chars of lowercase letters, digits and single inner hyphens."""
    if not 3 <= len(name) <= 63:
        raise OutOfRangeInputError(
            f"Invalid container name {name!r}: it must be 3 to 63 characters long."
        )
    if not _CONTAINER_RE.fullmatch(name):
        raise InvalidResourceNameError(
            f"Invalid container name {name!r}: use lowercase letters, digits and hyphens; "
            "start and end with a letter or digit; no two hyphens in a row."
        )
    return name


def validate_blob_name(name: str) -> str:
    """Blob names: 1-1024 characters, no control characters, no '.', '..' or empty path
    segments."""
    if not 1 <= len(name) <= MAX_BLOB_NAME_LENGTH:
        raise InvalidResourceNameError(
            f"Invalid blob name: it must be 1 to {MAX_BLOB_NAME_LENGTH} characters long."
        )
    if _CONTROL_RE.search(name):
        raise InvalidResourceNameError("Invalid blob name: control characters are not allowed.")
    if any(part in (".", "..") for part in name.replace("\\", "/").split("/")):
        raise InvalidResourceNameError(
            "Invalid blob name: '.' and '..' path segments are not allowed."
        )
    # As Azure's hierarchical namespace: a folder-style name never starts with '/' or holds an
    # empty segment, so no name becomes an absolute path when laid out as files.
    if name.startswith("/") or "//" in name:
        raise InvalidResourceNameError(
            "Invalid blob name: it must not start with '/' or hold an empty path segment ('//')."
        )
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidResourceNameError("Invalid blob name: it is not valid Unicode.") from None
    return name


def validate_block_id(block_id: str) -> str:
    """Block ids: base64 of at most 64 bytes."""
    try:
        raw = base64.b64decode(block_id, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidBlobOrBlockError("The block id is not valid base64.") from None
    if not 1 <= len(raw) <= _MAX_BLOCK_ID_BYTES:
        raise InvalidBlobOrBlockError("A block id must encode 1 to 64 bytes.")
    return block_id


def validate_metadata(metadata: dict[str, str]) -> dict[str, str]:
    """Metadata names are C# identifiers; values are printable ASCII header values."""
    for key, value in metadata.items():
        if not _METADATA_KEY_RE.fullmatch(key):
            raise InvalidResourceNameError(f"Invalid metadata name {key!r}.")
        if _CONTROL_RE.search(value) or not value.isascii():
            raise InvalidResourceNameError(f"Invalid value for metadata {key!r}.")
    return metadata
