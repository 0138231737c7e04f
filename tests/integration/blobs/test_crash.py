"""SIGKILL the server in the middle of an upload: afterwards the blob is the old version, whole."""

from __future__ import annotations

import http.client
import os
import ssl
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from basin.blobs import LocalBlobStore
from basin.testing.ports import free_port

from .conftest import (
    ACCOUNT,
    BlobServer,
    container_sas,
    launch,
    shared_key_service,
)

MiB = 1024 * 1024
CONTAINER = "crash"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[BlobServer]:
    server = launch(tmp_path)
    shared_key_service(server).create_container(CONTAINER)
    yield server
    server.stop()


def _data_files(root: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in (root / "data").glob("*/*")}


def _restart(server: BlobServer) -> None:
    server.port = free_port()
    server.start(server.root.parent / "tls", server.root.parent / "grants.json")


def _send_then_kill(server: BlobServer, path_and_query: str, headers: dict[str, str]) -> None:
    """Stream a 64 MiB body; SIGKILL the server once it has written 8 MiB of it to a new file."""
    before = set(_data_files(server.root))
    connection = http.client.HTTPSConnection(
        "127.0.0.1", server.port, context=ssl.create_default_context(cafile=str(server.ca))
    )
    connection.putrequest("PUT", path_and_query)
    for name, value in {**headers, "Content-Length": str(64 * MiB)}.items():
        connection.putheader(name, value)
    connection.endheaders()
    chunk = os.urandom(MiB)
    for _ in range(16):
        connection.send(chunk)
    deadline = time.monotonic() + 30
    while not any(size >= 8 * MiB for name, size in _data_files(server.root).items()
                  if name not in before):  # fmt: skip
        assert time.monotonic() < deadline, "the server never wrote the partial upload"
        time.sleep(0.01)
    server.kill()
    connection.close()


def test_kill_during_single_shot_upload_keeps_the_old_version(server: BlobServer) -> None:
    old = os.urandom(3 * MiB)
    container = shared_key_service(server).get_container_client(CONTAINER)
    container.upload_blob("model.bin", old)
    sas = container_sas(CONTAINER)
    _send_then_kill(
        server, f"/{ACCOUNT}/{CONTAINER}/model.bin?{sas}", {"x-ms-blob-type": "BlockBlob"}
    )
    _restart(server)
    container = shared_key_service(server).get_container_client(CONTAINER)
    assert container.download_blob("model.bin").readall() == old
    server.stop()

    store = LocalBlobStore(server.root)
    assert len(_data_files(server.root)) == 2  # the old version and the half-written orphan
    assert store.collect_garbage(timedelta(0)) == 1
    assert len(_data_files(server.root)) == 1
    assert store.read_blob_bytes(ACCOUNT, CONTAINER, "model.bin") == old


def test_kill_during_block_upload_keeps_the_old_version(server: BlobServer) -> None:
    service = shared_key_service(server, max_single_put_size=4 * MiB, max_block_size=4 * MiB)
    blob = service.get_blob_client(CONTAINER, "weights.bin")
    old = os.urandom(10 * MiB)
    blob.upload_blob(old)  # committed as three blocks
    new_blocks = [(f"{i:06d}", os.urandom(MiB)) for i in range(3)]  # SDK sends base64
    for block_id, payload in new_blocks:
        blob.stage_block(block_id, payload)
    sas = container_sas(CONTAINER)
    block_query = "comp=block&blockid=MDAwMDAz"  # base64 of "000003", the next block
    _send_then_kill(server, f"/{ACCOUNT}/{CONTAINER}/weights.bin?{block_query}&{sas}", {})
    _restart(server)
    blob = shared_key_service(server).get_blob_client(CONTAINER, "weights.bin")
    assert blob.download_blob().readall() == old
    committed, uncommitted = blob.get_block_list("all")
    assert len(committed) == 3
    # Blocks staged before the crash survived it; the one cut short did not.
    assert sorted(b.id for b in uncommitted) == sorted(b for b, _ in new_blocks)
    server.stop()

    store = LocalBlobStore(server.root)
    # 3 old blocks + 3 staged + the orphan of the cut block; GC drops the staged and the orphan.
    assert len(_data_files(server.root)) == 7
    assert store.collect_garbage(timedelta(0)) == 4
    assert len(_data_files(server.root)) == 3
    assert store.read_blob_bytes(ACCOUNT, CONTAINER, "weights.bin") == old
    assert store.get_block_list(ACCOUNT, CONTAINER, "weights.bin").uncommitted == []
