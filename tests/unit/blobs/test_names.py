"""Name rules: Azure's for containers and accounts; blobs without path traversal."""

from __future__ import annotations

import pytest

from basin.blobs import (
    InvalidBlobOrBlockError,
    InvalidResourceNameError,
    OutOfRangeInputError,
    validate_account_name,
    validate_blob_name,
    validate_block_id,
    validate_container_name,
    validate_metadata,
)


@pytest.mark.parametrize("name", ["abc", "a-b-c", "0day", "x" * 63, "models-2024"])
def test_good_container_names(name: str) -> None:
    assert validate_container_name(name) == name


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("ab", OutOfRangeInputError),
        ("x" * 64, OutOfRangeInputError),
        ("Abc", InvalidResourceNameError),
        ("a--b", InvalidResourceNameError),
        ("-ab", InvalidResourceNameError),
        ("ab-", InvalidResourceNameError),
        ("a_b", InvalidResourceNameError),
        ("$root", InvalidResourceNameError),
    ],
)
def test_bad_container_names(name: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        validate_container_name(name)


@pytest.mark.parametrize("name", ["a", "a/b", "dir/", "x..y", "...", "ünïcode/文件", "a b"])
def test_good_blob_names(name: str) -> None:
    assert validate_blob_name(name) == name


@pytest.mark.parametrize(
    "name",
    ["", "..", "../a", "a/../b", "a/..", "./a", "a\\..", "\x00", "/etc/passwd", "z//etc/x", "//"],
)
def test_bad_blob_names(name: str) -> None:
    with pytest.raises(InvalidResourceNameError):
        validate_blob_name(name)


def test_accounts_block_ids_and_metadata() -> None:
    assert validate_account_name("devstoreaccount1")
    with pytest.raises(InvalidResourceNameError):
        validate_account_name("Dev-Store")
    assert validate_block_id("QUJD")
    with pytest.raises(InvalidBlobOrBlockError):
        validate_block_id("QUJD" * 30)  # more than 64 bytes
    assert validate_metadata({"Owner_1": "me"})
    with pytest.raises(InvalidResourceNameError):
        validate_metadata({"1st": "x"})
    with pytest.raises(InvalidResourceNameError):
        validate_metadata({"ok": "line\nbreak"})
