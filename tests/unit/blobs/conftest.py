"""A LocalBlobStore in a temporary folder, with a clock the tests move by hand."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from basin.blobs import LocalBlobStore

ACCOUNT = "acct"


class FakeClock:
    """Starts at the real time (file mtimes are real) and moves only when a test says so."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Iterator[LocalBlobStore]:
    # A small inline limit so that tests exercise data files with small payloads.
    blob_store = LocalBlobStore(tmp_path / "blobs", inline_limit=16, clock=clock)
    blob_store.create_container(ACCOUNT, "box")
    yield blob_store
    blob_store.close()


def data_files(store: LocalBlobStore) -> list[Path]:
    return sorted((store.root / "data").glob("*/*"))
