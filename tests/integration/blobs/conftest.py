"""A real blob service process over HTTPS, and real azure-storage-blob clients for it."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from azure.storage.blob import (
    BlobServiceClient,
    ContainerClient,
    ContainerSasPermissions,
    generate_container_sas,
)

from basin.server import blob as service
from basin.testing.ports import free_port
from basin.tls import ensure_certificate_authority, ensure_server_certificate

ACCOUNT = "devstoreaccount1"
KEY1 = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
KEY2 = base64.b64encode(b"basin-test-second-key-" + b"\x07" * 42).decode()
WRITER_TOKEN = "writer-" + "a1" * 16
READER_TOKEN = "reader-" + "b2" * 16
GRANTS = {
    WRITER_TOKEN: [
        service.BLOBS_READ, service.BLOBS_WRITE, service.BLOBS_DELETE, service.BLOBS_ADD,
        service.CONTAINERS_READ, service.CONTAINERS_WRITE, service.CONTAINERS_DELETE,
    ],
    READER_TOKEN: [service.BLOBS_READ, service.CONTAINERS_READ],
}  # fmt: skip
HERE = Path(__file__).parent
SRC = HERE.parents[2] / "src"


@dataclass
class BlobServer:
    root: Path
    ca: Path
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def account_url(self) -> str:
        return f"https://127.0.0.1:{self.port}/{ACCOUNT}"

    def start(self, tls_dir: Path, grants_file: Path) -> None:
        cert = ensure_server_certificate(ensure_certificate_authority(tls_dir), tls_dir)
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(HERE), str(SRC)]),
            "BASIN_TEST_BLOB_GRANTS": str(grants_file),
        }
        accounts = self.root.parent / "accounts.json"
        accounts.write_text(json.dumps({ACCOUNT: [KEY1, KEY2]}))
        accounts.chmod(0o600)
        command = [
            sys.executable, "-m", "basin.server.blob", "--root", str(self.root),
            "--accounts", str(accounts), "--port", str(self.port), "--cert", str(cert.cert_path),
            "--key", str(cert.key_path), "--authorizer", "blob_test_authorizer:create",
            "--authorization-uri", "https://login.example.test/basin-tenant/oauth2/authorize",
            "--log-level", "info",
        ]  # fmt: skip
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"blob server exited:\n{self.log.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("blob server did not start in time")

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind runs in the server."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def launch(base: Path) -> BlobServer:
    """A blob server over HTTPS with its own store, CA and bearer grants under ``base``."""
    grants = base / "grants.json"
    grants.write_text(json.dumps(GRANTS))
    server = BlobServer(base / "store", base / "tls" / "ca.pem", free_port(), base / "server.log")
    server.start(base / "tls", grants)
    return server


@pytest.fixture(scope="session")
def blob_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BlobServer]:
    server = launch(tmp_path_factory.mktemp("blob-server"))
    yield server
    server.stop()


class StaticToken:
    """A TokenCredential handing out a fixed token (the SDK and the server stay real)."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.calls = 0

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.calls += 1
        return AccessToken(self.token, int(time.time()) + 3600)


def shared_key_service(server: BlobServer, key: str = KEY1, **options: Any) -> BlobServiceClient:
    credential = {"account_name": ACCOUNT, "account_key": key}
    return BlobServiceClient(
        server.account_url, credential=credential, connection_verify=str(server.ca), **options
    )


def bearer_service(server: BlobServer, token: str, **options: Any) -> BlobServiceClient:
    return BlobServiceClient(
        server.account_url,
        credential=StaticToken(token),
        connection_verify=str(server.ca),
        **options,
    )


def container_sas(
    container: str,
    permission: str = "racwdl",
    expiry: datetime | None = None,
    key: str = KEY1,
    **extra: Any,
) -> str:
    return generate_container_sas(
        ACCOUNT,
        container,
        account_key=key,
        permission=ContainerSasPermissions.from_string(permission),
        expiry=expiry or datetime.now(UTC) + timedelta(hours=1),
        **extra,
    )


def sas_container(server: BlobServer, container: str, sas: str, **options: Any) -> ContainerClient:
    return ContainerClient(
        server.account_url, container, credential=sas, connection_verify=str(server.ca), **options
    )


def new_container_name() -> str:
    return f"t{uuid.uuid4().hex[:20]}"


AUTH_MODES = ["shared_key", "sas", "bearer"]


def container_client(server: BlobServer, mode: str, name: str, **options: Any) -> ContainerClient:
    """A client of container ``name`` (created with the shared key) using auth ``mode``."""
    shared_key_service(server).create_container(name)
    if mode == "shared_key":
        return shared_key_service(server, **options).get_container_client(name)
    if mode == "sas":
        return sas_container(server, name, container_sas(name), **options)
    return bearer_service(server, WRITER_TOKEN, **options).get_container_client(name)
