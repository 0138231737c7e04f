"""LocalBlobStore: semantics, atomicity, garbage collection."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from pathlib import Path

import pytest

from basin.blobs import (
    BlobAlreadyExistsError,
    BlobNotFoundError,
    BlockListType,
    BlockRef,
    ConditionNotMetError,
    Conditions,
    ContainerAlreadyExistsError,
    ContainerNotFoundError,
    ContentSettings,
    InvalidBlobOrBlockError,
    InvalidBlockListError,
    InvalidRangeError,
    InvalidResourceNameError,
    LocalBlobStore,
    NotModifiedError,
)

from .conftest import ACCOUNT, FakeClock, data_files


def _id(n: int) -> str:
    return base64.b64encode(f"block-{n:04d}".encode()).decode()


def _stage(store: LocalBlobStore, name: str, n: int, payload: bytes) -> None:
    data = store.new_data(compute_md5=False)
    data.write(payload)
    store.stage_block(ACCOUNT, "box", name, _id(n), data)


def test_put_and_read_back_with_properties(store: LocalBlobStore) -> None:
    content = ContentSettings(content_type="text/csv", content_encoding="gzip")
    props = store.put_blob_bytes(ACCOUNT, "box", "t.csv", b"a,b\n1,2\n", content, {"k": "v"})
    assert props.etag.startswith("0x") and props.size == 8
    assert props.content.content_md5 == hashlib.md5(b"a,b\n1,2\n").digest()
    again = store.get_blob_properties(ACCOUNT, "box", "t.csv")
    assert again == props
    assert store.read_blob_bytes(ACCOUNT, "box", "t.csv") == b"a,b\n1,2\n"


@pytest.mark.parametrize("size", [5, 5000])  # inline in the index, and in a data file
def test_ranges(store: LocalBlobStore, size: int) -> None:
    payload = bytes(i % 251 for i in range(size))
    store.put_blob_bytes(ACCOUNT, "box", "r", payload)
    assert store.read_blob_bytes(ACCOUNT, "box", "r", (1, 3)) == payload[1:4]
    assert store.read_blob_bytes(ACCOUNT, "box", "r", (2, None)) == payload[2:]
    assert store.read_blob_bytes(ACCOUNT, "box", "r", (0, 10 * size)) == payload
    with pytest.raises(InvalidRangeError):
        store.open_blob(ACCOUNT, "box", "r", (size, None))


def test_empty_blob_has_no_valid_range(store: LocalBlobStore) -> None:
    store.put_blob_bytes(ACCOUNT, "box", "empty", b"")
    assert store.read_blob_bytes(ACCOUNT, "box", "empty") == b""
    with pytest.raises(InvalidRangeError):
        store.open_blob(ACCOUNT, "box", "empty", (0, None))


def test_a_and_a_slash_b_coexist(store: LocalBlobStore) -> None:
    store.put_blob_bytes(ACCOUNT, "box", "a", b"file a")
    store.put_blob_bytes(ACCOUNT, "box", "a/b", b"file a/b")
    store.put_blob_bytes(ACCOUNT, "box", "a/", b"folder marker")
    assert store.read_blob_bytes(ACCOUNT, "box", "a") == b"file a"
    assert store.read_blob_bytes(ACCOUNT, "box", "a/b") == b"file a/b"
    assert store.read_blob_bytes(ACCOUNT, "box", "a/") == b"folder marker"


@pytest.mark.parametrize(
    "name", ["", "../x", "a/../b", "a/./b", "..", "a\\..\\b", "tab\there", "x" * 1025]
)
def test_bad_blob_names_are_refused(store: LocalBlobStore, name: str) -> None:
    with pytest.raises(InvalidResourceNameError):
        store.put_blob_bytes(ACCOUNT, "box", name, b"x")
    assert data_files(store) == []


def test_containers_life_cycle(store: LocalBlobStore) -> None:
    with pytest.raises(ContainerAlreadyExistsError):
        store.create_container(ACCOUNT, "box")
    store.create_container(ACCOUNT, "other", {"team": "x"})
    store.create_container("another-account", "other")
    assert [c.name for c in store.iter_containers(ACCOUNT)] == ["box", "other"]
    store.set_container_metadata(ACCOUNT, "other", {"team": "y"})
    assert store.get_container(ACCOUNT, "other").metadata == {"team": "y"}
    store.put_blob_bytes(ACCOUNT, "other", "big", b"x" * 100)
    store.delete_container(ACCOUNT, "other")
    with pytest.raises(ContainerNotFoundError):
        store.get_blob_properties(ACCOUNT, "other", "big")
    with pytest.raises(ContainerNotFoundError):
        store.put_blob_bytes(ACCOUNT, "other", "big", b"x")
    assert data_files(store) == []  # the container's data went with it
    assert store.get_container("another-account", "other").name == "other"


def test_listing_with_prefix_delimiter_and_pages(store: LocalBlobStore) -> None:
    names = ["a", "a/b", "a/c/d", "a/c/e", "a0", "b/x", "b/y/z", "c"]
    for name in reversed(names):
        store.put_blob_bytes(ACCOUNT, "box", name, b"")
    assert [b.name for b in store.iter_blobs(ACCOUNT, "box")] == names
    top = store.list_blobs(ACCOUNT, "box", delimiter="/")
    assert [getattr(i, "name", i) for i in top.items] == ["a", "a/", "a0", "b/", "c"]
    assert top.next_marker is None
    inner = store.list_blobs(ACCOUNT, "box", prefix="a/", delimiter="/")
    assert [getattr(i, "name", i) for i in inner.items] == ["a/b", "a/c/"]
    seen: list[str] = []
    marker = None
    while True:
        page = store.list_blobs(ACCOUNT, "box", delimiter="/", marker=marker, max_results=2)
        seen += [i if isinstance(i, str) else i.name for i in page.items]
        assert len(page.items) <= 2
        if page.next_marker is None:
            break
        marker = page.next_marker
    assert seen == ["a", "a/", "a0", "b/", "c"]
    assert store.list_blobs(ACCOUNT, "box", prefix="zzz").items == []


def test_overwrite_conditions(store: LocalBlobStore) -> None:
    first = store.put_blob_bytes(ACCOUNT, "box", "c", b"one")
    with pytest.raises(BlobAlreadyExistsError):
        store.put_blob_bytes(ACCOUNT, "box", "c", b"two", conditions=Conditions(if_none_match="*"))
    with pytest.raises(ConditionNotMetError):
        store.put_blob_bytes(ACCOUNT, "box", "c", b"two", conditions=Conditions(if_match='"0x1"'))
    with pytest.raises(ConditionNotMetError):  # If-Match on a blob that does not exist
        store.put_blob_bytes(ACCOUNT, "box", "new", b"x", conditions=Conditions(if_match="*"))
    second = store.put_blob_bytes(
        ACCOUNT, "box", "c", b"two", conditions=Conditions(if_match=f'"{first.etag}"')
    )
    assert second.etag != first.etag and second.creation_time == first.creation_time
    assert store.read_blob_bytes(ACCOUNT, "box", "c") == b"two"
    with pytest.raises(NotModifiedError):
        store.open_blob(ACCOUNT, "box", "c", conditions=Conditions(if_none_match=second.etag))
    with pytest.raises(ConditionNotMetError):
        store.delete_blob(ACCOUNT, "box", "c", Conditions(if_match=first.etag))
    store.delete_blob(ACCOUNT, "box", "c", Conditions(if_match=second.etag))
    with pytest.raises(BlobNotFoundError):
        store.get_blob_properties(ACCOUNT, "box", "c")


def test_update_blob_replaces_settings_or_metadata(store: LocalBlobStore) -> None:
    first = store.put_blob_bytes(ACCOUNT, "box", "u", b"data", metadata={"a": "1"})
    meta = store.update_blob(ACCOUNT, "box", "u", metadata={"b": "2"})
    assert meta.metadata == {"b": "2"} and meta.etag != first.etag
    settings = store.update_blob(
        ACCOUNT, "box", "u", content=ContentSettings(content_type="image/png")
    )
    assert settings.content.content_type == "image/png" and settings.metadata == {"b": "2"}
    assert store.read_blob_bytes(ACCOUNT, "box", "u") == b"data"


def test_block_upload_commits_in_list_order(store: LocalBlobStore) -> None:
    for n, payload in enumerate([b"first-", b"second-", b"third"]):
        _stage(store, "blocks", n, payload)
    assert not store.blob_exists(ACCOUNT, "box", "blocks")
    assert len(store.get_block_list(ACCOUNT, "box", "blocks").uncommitted) == 3
    props = store.commit_block_list(ACCOUNT, "box", "blocks", [BlockRef(_id(2)), BlockRef(_id(0))])
    assert props.size == len(b"third") + len(b"first-")
    assert store.read_blob_bytes(ACCOUNT, "box", "blocks") == b"thirdfirst-"
    assert store.read_blob_bytes(ACCOUNT, "box", "blocks", (3, 7)) == b"rdfir"
    blocks = store.get_block_list(ACCOUNT, "box", "blocks")
    assert [b.block_id for b in blocks.committed] == [_id(2), _id(0)]
    assert blocks.uncommitted == []
    assert len(data_files(store)) == 2  # the block left out was dropped with the commit

    # A new version may reuse committed blocks and add new ones.
    _stage(store, "blocks", 3, b"+fourth")
    store.commit_block_list(
        ACCOUNT, "box", "blocks",
        [BlockRef(_id(0), BlockListType.COMMITTED), BlockRef(_id(3), BlockListType.UNCOMMITTED)],
    )  # fmt: skip
    assert store.read_blob_bytes(ACCOUNT, "box", "blocks") == b"first-+fourth"
    assert len(data_files(store)) == 2
    with pytest.raises(InvalidBlockListError):
        store.commit_block_list(ACCOUNT, "box", "blocks", [BlockRef(_id(9))])
    with pytest.raises(InvalidBlockListError):
        store.commit_block_list(
            ACCOUNT, "box", "blocks", [BlockRef(_id(0), BlockListType.UNCOMMITTED)]
        )


def test_block_ids_must_be_base64_of_one_length(store: LocalBlobStore) -> None:
    _stage(store, "ids", 0, b"x")
    data = store.new_data()
    data.write(b"y")
    with pytest.raises(InvalidBlobOrBlockError):
        store.stage_block(ACCOUNT, "box", "ids", base64.b64encode(b"short").decode(), data)
    data = store.new_data()
    data.write(b"y")
    with pytest.raises(InvalidBlobOrBlockError):
        store.stage_block(ACCOUNT, "box", "ids", "not base64!", data)
    assert len(data_files(store)) == 1


def test_a_failed_put_leaves_the_previous_version(store: LocalBlobStore) -> None:
    store.put_blob_bytes(ACCOUNT, "box", "v", b"version one, long enough for a file")
    before = data_files(store)
    data = store.new_data()
    data.write(b"version two, also long enough for a file")
    with pytest.raises(ConditionNotMetError):
        store.put_blob(ACCOUNT, "box", "v", data, conditions=Conditions(if_match='"0x1"'))
    assert data_files(store) == before  # the new bytes were removed
    assert store.read_blob_bytes(ACCOUNT, "box", "v") == b"version one, long enough for a file"


def test_an_abandoned_write_never_shows_and_is_collected(
    store: LocalBlobStore, tmp_path: Path, clock: FakeClock
) -> None:
    store.put_blob_bytes(ACCOUNT, "box", "v", b"version one, long enough for a file")
    data = store.new_data()
    data.write(b"a half-received second version" * 10)  # then the process dies: no commit
    assert len(data_files(store)) == 2
    reopened = LocalBlobStore(store.root, clock=clock)
    assert reopened.read_blob_bytes(ACCOUNT, "box", "v") == b"version one, long enough for a file"
    assert reopened.collect_garbage(timedelta(hours=1)) == 0  # too recent to be sure
    clock.now += 2 * 3600
    assert reopened.collect_garbage(timedelta(hours=1)) == 1
    assert len(data_files(store)) == 1
    assert reopened.read_blob_bytes(ACCOUNT, "box", "v") == b"version one, long enough for a file"


def test_stale_uncommitted_blocks_are_collected(store: LocalBlobStore, clock: FakeClock) -> None:
    _stage(store, "abandoned", 0, b"old block data here")
    clock.now += 3600
    _stage(store, "fresh", 0, b"new block data here")
    assert store.collect_garbage(timedelta(minutes=30)) == 1
    with pytest.raises(BlobNotFoundError):
        store.get_block_list(ACCOUNT, "box", "abandoned")
    assert len(store.get_block_list(ACCOUNT, "box", "fresh").uncommitted) == 1
    assert len(data_files(store)) == 1


def test_a_reader_keeps_its_version_while_it_is_replaced(store: LocalBlobStore) -> None:
    old = b"o" * 5000
    store.put_blob_bytes(ACCOUNT, "box", "hot", old)
    with store.open_blob(ACCOUNT, "box", "hot") as reader:
        first = reader.read(100)
        store.put_blob_bytes(ACCOUNT, "box", "hot", b"n" * 7000)
        store.delete_blob(ACCOUNT, "box", "hot")
        rest = b"".join(reader.chunks(1000))
    assert first + rest == old
    assert data_files(store) == []  # the old file went when its last reader closed
