"""azure-storage-blob against basin's blob service, with each kind of credential."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator

import pytest
from azure.core import MatchConditions
from azure.core.exceptions import (
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.storage.blob import ContainerClient, ContentSettings

from .conftest import AUTH_MODES, BlobServer, container_client, new_container_name

MiB = 1024 * 1024


@pytest.fixture(params=AUTH_MODES)
def container(request: pytest.FixtureRequest, blob_server: BlobServer) -> Iterator[ContainerClient]:
    # Small single-put limit: uploads above 4 MiB go as staged blocks + a block list.
    client = container_client(
        blob_server, request.param, new_container_name(), max_single_put_size=4 * MiB
    )
    yield client
    client.close()


def test_blob_life_cycle(container: ContainerClient) -> None:
    blob = container.get_blob_client("docs/readme.txt")
    assert not blob.exists()
    blob.upload_blob(b"hello basin", content_settings=ContentSettings(content_type="text/plain"))
    assert blob.exists()
    props = blob.get_blob_properties()
    assert props.size == 11
    assert props.content_settings.content_type == "text/plain"
    assert props.content_settings.content_md5 is not None
    assert bytes(props.content_settings.content_md5) == hashlib.md5(b"hello basin").digest()
    assert props.etag.startswith('"0x')
    assert blob.download_blob().readall() == b"hello basin"
    assert blob.download_blob(encoding="utf-8").readall() == "hello basin"
    blob.delete_blob()
    assert not blob.exists()
    with pytest.raises(ResourceNotFoundError):
        blob.download_blob()
    with pytest.raises(ResourceNotFoundError):
        blob.delete_blob()


def test_large_block_upload_and_download(container: ContainerClient) -> None:
    payload = os.urandom(64 * MiB)
    blob = container.get_blob_client("big/payload.bin")
    blob.upload_blob(payload, max_concurrency=4)
    committed, uncommitted = blob.get_block_list("all")
    assert len(committed) == 16 and not uncommitted  # 4 MiB blocks, all committed
    assert blob.get_blob_properties().size == len(payload)
    assert blob.download_blob(max_concurrency=4).readall() == payload


def test_ranged_download(container: ContainerClient) -> None:
    payload = bytes(range(256)) * 1024
    blob = container.get_blob_client("ranged")
    blob.upload_blob(payload)
    assert blob.download_blob(offset=1000, length=100).readall() == payload[1000:1100]
    assert blob.download_blob(offset=len(payload) - 10).readall() == payload[-10:]
    # A length past the end is cut to the blob, as in Azure.
    assert blob.download_blob(offset=5, length=10 * len(payload)).readall() == payload[5:]


def test_empty_blob_downloads_empty(container: ContainerClient) -> None:
    blob = container.get_blob_client("empty")
    blob.upload_blob(b"")
    assert blob.download_blob().readall() == b""
    assert blob.get_blob_properties().size == 0


def test_listing_prefix_delimiter_and_pages(container: ContainerClient) -> None:
    names = ["a", "a/b", "a/c/d", "a/c/e", "b.txt", "c/x", "c/y", "cz"]
    for name in names:
        container.upload_blob(name, name.encode())
    assert [b.name for b in container.list_blobs()] == names
    assert [b.name for b in container.list_blobs(name_starts_with="a/")] == [
        "a/b", "a/c/d", "a/c/e",
    ]  # fmt: skip
    top = sorted(item.name for item in container.walk_blobs(delimiter="/"))
    assert top == ["a", "a/", "b.txt", "c/", "cz"]
    inside = sorted(i.name for i in container.walk_blobs(name_starts_with="a/", delimiter="/"))
    assert inside == ["a/b", "a/c/"]
    pages = [[b.name for b in page] for page in container.list_blobs(results_per_page=3).by_page()]
    assert pages == [names[0:3], names[3:6], names[6:8]]


def test_overwrite_false_on_existing_blob_raises(container: ContainerClient) -> None:
    container.upload_blob("once", b"first")
    with pytest.raises(ResourceExistsError):
        container.upload_blob("once", b"second", overwrite=False)
    with pytest.raises(ResourceExistsError):  # the staged path: the commit carries the condition
        container.upload_blob("once", os.urandom(5 * MiB), overwrite=False)
    assert container.download_blob("once").readall() == b"first"


def test_stale_etag_raises(container: ContainerClient) -> None:
    blob = container.get_blob_client("guarded")
    first = blob.upload_blob(b"v1")
    blob.upload_blob(
        b"v2", overwrite=True, etag=first["etag"], match_condition=MatchConditions.IfNotModified
    )
    with pytest.raises(ResourceModifiedError):
        blob.upload_blob(
            b"v3", overwrite=True, etag=first["etag"], match_condition=MatchConditions.IfNotModified
        )
    with pytest.raises(ResourceModifiedError):
        blob.delete_blob(etag=first["etag"], match_condition=MatchConditions.IfNotModified)
    assert blob.download_blob().readall() == b"v2"


def test_metadata_and_properties_round_trip(container: ContainerClient) -> None:
    blob = container.get_blob_client("model/weights.bin")
    blob.upload_blob(b"\x00" * 10, metadata={"stage": "prod", "owner": "ml_team"})
    assert blob.get_blob_properties().metadata == {"stage": "prod", "owner": "ml_team"}
    blob.set_blob_metadata({"stage": "archived"})
    settings = ContentSettings(
        content_type="application/x-weights",
        content_encoding="identity",
        content_language="en",
        content_disposition="attachment",
        cache_control="no-cache",
    )
    blob.set_http_headers(settings)
    props = blob.get_blob_properties()
    assert props.metadata == {"stage": "archived"}
    assert props.content_settings.content_type == "application/x-weights"
    assert props.content_settings.content_encoding == "identity"
    assert props.content_settings.content_language == "en"
    assert props.content_settings.content_disposition == "attachment"
    assert props.content_settings.cache_control == "no-cache"
    listed = next(iter(container.list_blobs(include=["metadata"])))
    assert listed.metadata == {"stage": "archived"}
    assert listed.content_settings.content_type == "application/x-weights"
