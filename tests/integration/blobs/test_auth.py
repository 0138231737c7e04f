"""Who gets in: shared key (both keys), service and account SAS, bearer tokens; and who does not."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
from azure.storage.blob import (
    BlobSasPermissions,
    BlobServiceClient,
    ContainerClient,
    generate_account_sas,
    generate_blob_sas,
)

from .conftest import (
    ACCOUNT,
    KEY1,
    KEY2,
    READER_TOKEN,
    WRITER_TOKEN,
    BlobServer,
    StaticToken,
    bearer_service,
    container_sas,
    new_container_name,
    sas_container,
    shared_key_service,
)

WRONG_KEY = "V3JvbmdXcm9uZ1dyb25nV3JvbmdXcm9uZ1dyb25nV3JvbmdXcm9uZ1dyb25nV3Jvbmc="


def _http(server: BlobServer) -> httpx.Client:
    return httpx.Client(verify=ssl.create_default_context(cafile=str(server.ca)))


@pytest.fixture
def filled(blob_server: BlobServer) -> str:
    """A container with one blob, ``data.bin``, made with the shared key."""
    name = new_container_name()
    container = shared_key_service(blob_server).create_container(name)
    container.upload_blob("data.bin", b"payload")
    return name


def test_both_account_keys_work(blob_server: BlobServer, filled: str) -> None:
    for key in (KEY1, KEY2):
        container = shared_key_service(blob_server, key).get_container_client(filled)
        assert container.download_blob("data.bin").readall() == b"payload"


def test_wrong_key_is_refused(blob_server: BlobServer, filled: str) -> None:
    container = shared_key_service(blob_server, WRONG_KEY).get_container_client(filled)
    with pytest.raises(ClientAuthenticationError) as caught:
        container.download_blob("data.bin")
    assert getattr(caught.value, "error_code", None) == "AuthenticationFailed"
    with pytest.raises(ClientAuthenticationError):
        shared_key_service(blob_server, WRONG_KEY).create_container(new_container_name())


def test_container_life_cycle_with_shared_key_and_bearer(blob_server: BlobServer) -> None:
    for service in (shared_key_service(blob_server), bearer_service(blob_server, WRITER_TOKEN)):
        name = new_container_name()
        container = service.create_container(name, metadata={"team": "vision"})
        assert container.get_container_properties().metadata == {"team": "vision"}
        container.set_container_metadata({"team": "nlp"})
        assert container.get_container_properties().metadata == {"team": "nlp"}
        assert [c.name for c in service.list_containers(name_starts_with=name)] == [name]
        with pytest.raises(HttpResponseError) as exists:
            service.create_container(name)
        assert getattr(exists.value, "error_code", None) == "ContainerAlreadyExists"
        container.upload_blob("x", b"x")
        service.delete_container(name)
        assert not container.exists()
        with pytest.raises(HttpResponseError) as missing:
            service.delete_container(name)
        assert getattr(missing.value, "error_code", None) == "ContainerNotFound"


def test_container_listing_pages(blob_server: BlobServer) -> None:
    service = shared_key_service(blob_server)
    prefix = new_container_name()
    names = [f"{prefix}-{i}" for i in range(5)]
    for name in names:
        service.create_container(name)
    pages = service.list_containers(name_starts_with=prefix, results_per_page=2).by_page()
    assert [[c.name for c in page] for page in pages] == [names[0:2], names[2:4], names[4:5]]


def test_sas_read_and_write_within_its_permissions(blob_server: BlobServer, filled: str) -> None:
    reader = sas_container(blob_server, filled, container_sas(filled, "rl"))
    assert reader.download_blob("data.bin").readall() == b"payload"
    assert [b.name for b in reader.list_blobs()] == ["data.bin"]
    with pytest.raises(HttpResponseError) as caught:
        reader.upload_blob("new.bin", b"x")
    assert caught.value.status_code == 403
    assert getattr(caught.value, "error_code", None) == "AuthorizationPermissionMismatch"
    creator = sas_container(blob_server, filled, container_sas(filled, "c"))
    creator.upload_blob("created.bin", b"x", overwrite=False)  # create-only needs just 'c'
    with pytest.raises(HttpResponseError):
        creator.upload_blob("created.bin", b"y", overwrite=True)  # overwriting needs 'w'


def test_blob_sas_url_reads_that_blob_only(blob_server: BlobServer, filled: str) -> None:
    shared_key_service(blob_server).get_container_client(filled).upload_blob("other", b"o")
    sas = generate_blob_sas(
        ACCOUNT, filled, "data.bin", account_key=KEY2,
        permission=BlobSasPermissions(read=True), protocol="https",
        expiry=datetime.now(UTC) + timedelta(minutes=10),
    )  # fmt: skip
    base = f"{blob_server.account_url}/{filled}"
    with _http(blob_server) as http:
        response = http.get(f"{base}/data.bin?{sas}")
        assert response.status_code == 200 and response.content == b"payload"
        other = http.get(f"{base}/other?{sas}")
        assert other.status_code == 403
        assert other.headers["x-ms-error-code"] == "AuthenticationFailed"


def test_expired_or_tampered_sas_is_refused(blob_server: BlobServer, filled: str) -> None:
    expired = container_sas(filled, "rl", expiry=datetime.now(UTC) - timedelta(minutes=1))
    with pytest.raises(ClientAuthenticationError):
        sas_container(blob_server, filled, expired).download_blob("data.bin")
    later = container_sas(filled, "rl", start=datetime.now(UTC) + timedelta(hours=1))
    with pytest.raises(ClientAuthenticationError):
        sas_container(blob_server, filled, later).download_blob("data.bin")
    tampered = container_sas(filled, "r").replace("sp=r", "sp=rwd")
    with pytest.raises(ClientAuthenticationError):
        sas_container(blob_server, filled, tampered).delete_blob("data.bin")
    wrong_key = container_sas(filled, "rl", key=WRONG_KEY)
    with pytest.raises(ClientAuthenticationError):
        sas_container(blob_server, filled, wrong_key).download_blob("data.bin")


def test_missing_token_gets_the_bearer_challenge(blob_server: BlobServer, filled: str) -> None:
    with _http(blob_server) as http:
        response = http.get(f"{blob_server.account_url}/{filled}/data.bin")
    assert response.status_code == 401
    assert response.headers["x-ms-error-code"] == "NoAuthenticationInformation"
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer authorization_uri=https://login.example.test/")
    assert "resource_id=https://storage.azure.com" in challenge


def test_unknown_token_is_refused_after_the_challenge(blob_server: BlobServer, filled: str) -> None:
    credential = StaticToken("not-a-real-token")
    container = ContainerClient(
        blob_server.account_url,
        filled,
        credential=credential,
        connection_verify=str(blob_server.ca),
    )
    with pytest.raises(ClientAuthenticationError) as caught:
        container.download_blob("data.bin")
    assert caught.value.status_code == 401
    assert getattr(caught.value, "error_code", None) == "InvalidAuthenticationInfo"
    # The SDK read the WWW-Authenticate challenge and asked its credential once more.
    assert credential.calls == 2


def test_token_without_the_permission_is_refused(blob_server: BlobServer, filled: str) -> None:
    container = bearer_service(blob_server, READER_TOKEN).get_container_client(filled)
    assert container.download_blob("data.bin").readall() == b"payload"
    assert [b.name for b in container.list_blobs()] == ["data.bin"]
    for attempt in (
        lambda: container.upload_blob("data.bin", b"x", overwrite=True),
        lambda: container.delete_blob("data.bin"),
        lambda: container.delete_container(),
    ):
        with pytest.raises(HttpResponseError) as caught:
            attempt()
        assert caught.value.status_code == 403
        assert getattr(caught.value, "error_code", None) == "AuthorizationPermissionMismatch"


def test_secrets_never_reach_the_server_log(blob_server: BlobServer, filled: str) -> None:
    sas = container_sas(filled, "rl")
    sas_container(blob_server, filled, sas).download_blob("data.bin").readall()
    bearer_service(blob_server, READER_TOKEN).get_container_client(filled).exists()
    signature = dict(part.split("=", 1) for part in sas.split("&"))["sig"]
    log = blob_server.log.read_text()
    assert "GetBlob" in log  # the log is being written
    for secret in (KEY1, KEY2, WRITER_TOKEN, READER_TOKEN, signature):
        assert secret not in log


def _account_sas(permission: str, resource_types: str = "sco", **options: Any) -> str:
    return generate_account_sas(
        ACCOUNT, options.pop("key", KEY1), resource_types=resource_types, permission=permission,
        expiry=options.pop("expiry", datetime.now(UTC) + timedelta(minutes=10)), **options,
    )  # fmt: skip


def _sas_service(server: BlobServer, sas: str) -> BlobServiceClient:
    return BlobServiceClient(server.account_url, credential=sas, connection_verify=str(server.ca))


def test_account_sas_covers_the_account_within_its_types_and_permissions(
    blob_server: BlobServer, filled: str
) -> None:
    # what generate_account_sas makes (a storage key's holder handing out an account-wide URL)
    everything = _sas_service(blob_server, _account_sas("rwdlc", key=KEY2))
    assert filled in [c.name for c in everything.list_containers()]
    made = everything.create_container(new_container_name())
    made.upload_blob("a.txt", b"account sas")
    assert made.download_blob("a.txt").readall() == b"account sas"
    made.delete_blob("a.txt")
    made.delete_container()

    reader = _sas_service(blob_server, _account_sas("rl"))
    container = reader.get_container_client(filled)
    assert container.download_blob("data.bin").readall() == b"payload"
    assert [b.name for b in container.list_blobs()] == ["data.bin"]
    with pytest.raises(HttpResponseError) as caught:
        container.upload_blob("new.bin", b"x")
    assert getattr(caught.value, "error_code", None) == "AuthorizationPermissionMismatch"

    objects_only = _sas_service(blob_server, _account_sas("rl", resource_types="o"))
    assert objects_only.get_blob_client(filled, "data.bin").download_blob().readall() == b"payload"
    with pytest.raises(HttpResponseError) as caught:
        list(objects_only.get_container_client(filled).list_blobs())  # a container operation
    assert getattr(caught.value, "error_code", None) == "AuthorizationResourceTypeMismatch"

    queues_only = _sas_service(blob_server, _account_sas("rl", services="q"))
    with pytest.raises(HttpResponseError) as caught:
        queues_only.get_blob_client(filled, "data.bin").download_blob()
    assert getattr(caught.value, "error_code", None) == "AuthorizationServiceMismatch"


def test_account_sas_signed_wrongly_or_expired_is_refused(
    blob_server: BlobServer, filled: str
) -> None:
    for sas in (
        _account_sas("rl", key=WRONG_KEY),
        _account_sas("r").replace("sp=r", "sp=rwd"),
        _account_sas("rl", expiry=datetime.now(UTC) - timedelta(minutes=1)),
    ):
        blob = _sas_service(blob_server, sas).get_blob_client(filled, "data.bin")
        with pytest.raises(ClientAuthenticationError):
            blob.download_blob()
