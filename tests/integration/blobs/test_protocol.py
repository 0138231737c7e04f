"""The wire details clients rely on: headers on every response, Azure error bodies, names."""

from __future__ import annotations

import base64
import hashlib
import ssl
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import httpx
import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from .conftest import BlobServer, container_sas, new_container_name, shared_key_service


@pytest.fixture
def sas_base(blob_server: BlobServer) -> Iterator[tuple[httpx.Client, str, str]]:
    """(client, container URL, container SAS with every permission) for raw requests."""
    name = new_container_name()
    shared_key_service(blob_server).create_container(name)
    context = ssl.create_default_context(cafile=str(blob_server.ca))
    with httpx.Client(verify=context) as http:
        yield http, f"{blob_server.account_url}/{name}", container_sas(name, "racwdl")


def _error(response: httpx.Response) -> tuple[str, str]:
    root = ET.fromstring(response.content)
    code, message = root.findtext("Code"), root.findtext("Message")
    assert code is not None and message is not None
    return code, message


def test_every_response_carries_the_standard_headers(
    sas_base: tuple[httpx.Client, str, str],
) -> None:
    http, base, sas = sas_base
    for response in (
        http.put(f"{base}/ok?{sas}", content=b"x", headers={"x-ms-blob-type": "BlockBlob",
                 "x-ms-client-request-id": "my-request-1"}),
        http.get(f"{base}/missing?{sas}", headers={"x-ms-client-request-id": "my-request-1"}),
    ):  # fmt: skip
        assert response.headers["x-ms-request-id"]
        assert response.headers["x-ms-version"]
        assert response.headers["date"].endswith("GMT")
        assert response.headers["x-ms-client-request-id"] == "my-request-1"


def test_errors_are_azure_xml_with_the_code_header(
    sas_base: tuple[httpx.Client, str, str],
) -> None:
    http, base, sas = sas_base
    response = http.get(f"{base}/missing?{sas}")
    assert response.status_code == 404
    assert response.headers["x-ms-error-code"] == "BlobNotFound"
    assert response.headers["content-type"] == "application/xml"
    code, message = _error(response)
    assert code == "BlobNotFound"
    assert f"RequestId:{response.headers['x-ms-request-id']}" in message
    head = http.head(f"{base}/missing?{sas}")
    assert head.status_code == 404 and head.headers["x-ms-error-code"] == "BlobNotFound"


def test_path_traversal_in_a_blob_name_is_refused(
    sas_base: tuple[httpx.Client, str, str],
) -> None:
    http, base, sas = sas_base
    for path in ("a/%2E%2E/b", "%2E%2E/escape", "a/%2E/b", "a%5C..%5Cb"):
        response = http.put(
            f"{base}/{path}?{sas}", content=b"x", headers={"x-ms-blob-type": "BlockBlob"}
        )
        assert response.status_code == 400, path
        assert response.headers["x-ms-error-code"] == "InvalidResourceName"


def test_bad_container_names_are_refused(blob_server: BlobServer) -> None:
    service = shared_key_service(blob_server)
    for name, code in (("ab", "OutOfRangeInput"), ("Upper", "InvalidResourceName"),
                       ("a--b", "InvalidResourceName"), ("-ab", "InvalidResourceName")):  # fmt: skip
        with pytest.raises(HttpResponseError) as caught:
            service.create_container(name)
        assert caught.value.status_code == 400
        assert getattr(caught.value, "error_code", None) == code


def test_range_on_an_empty_blob_is_416(sas_base: tuple[httpx.Client, str, str]) -> None:
    http, base, sas = sas_base
    http.put(f"{base}/empty?{sas}", content=b"", headers={"x-ms-blob-type": "BlockBlob"})
    response = http.get(f"{base}/empty?{sas}", headers={"x-ms-range": "bytes=0-99"})
    assert response.status_code == 416
    assert response.headers["x-ms-error-code"] == "InvalidRange"
    assert http.get(f"{base}/empty?{sas}").status_code == 200


def test_range_headers_and_range_md5(sas_base: tuple[httpx.Client, str, str]) -> None:
    http, base, sas = sas_base
    payload = bytes(range(200))
    http.put(f"{base}/r?{sas}", content=payload, headers={"x-ms-blob-type": "BlockBlob"})
    response = http.get(f"{base}/r?{sas}", headers={"Range": "bytes=10-19"})
    assert response.status_code == 206
    assert response.headers["content-range"] == "bytes 10-19/200"
    assert response.content == payload[10:20]
    whole_md5 = base64.b64encode(hashlib.md5(payload).digest()).decode()
    assert response.headers["x-ms-blob-content-md5"] == whole_md5
    # x-ms-range wins over Range; the MD5 of just the range on request.
    response = http.get(
        f"{base}/r?{sas}",
        headers={"Range": "bytes=0-0", "x-ms-range": "bytes=100-", "x-ms-range-get-content-md5": "true"},
    )  # fmt: skip
    assert response.content == payload[100:]
    assert (
        response.headers["content-md5"]
        == base64.b64encode(hashlib.md5(payload[100:]).digest()).decode()
    )


def test_conditional_reads(sas_base: tuple[httpx.Client, str, str]) -> None:
    http, base, sas = sas_base
    put = http.put(f"{base}/c?{sas}", content=b"v1", headers={"x-ms-blob-type": "BlockBlob"})
    etag = put.headers["etag"]
    assert http.get(f"{base}/c?{sas}", headers={"If-None-Match": etag}).status_code == 304
    assert http.get(f"{base}/c?{sas}", headers={"If-Match": '"0x1"'}).status_code == 412
    assert http.get(f"{base}/c?{sas}", headers={"If-Match": etag}).content == b"v1"


def test_content_md5_mismatch_is_refused(sas_base: tuple[httpx.Client, str, str]) -> None:
    http, base, sas = sas_base
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    response = http.put(
        f"{base}/m?{sas}", content=b"data", headers={"x-ms-blob-type": "BlockBlob", "Content-MD5": wrong}
    )  # fmt: skip
    assert response.status_code == 400
    assert response.headers["x-ms-error-code"] == "Md5Mismatch"
    assert http.get(f"{base}/m?{sas}").status_code == 404


def test_commit_of_an_unknown_block_is_refused(
    sas_base: tuple[httpx.Client, str, str],
) -> None:
    http, base, sas = sas_base
    body = b'<?xml version="1.0" encoding="utf-8"?><BlockList><Latest>QUFBQQ==</Latest></BlockList>'
    response = http.put(f"{base}/blocks?comp=blocklist&{sas}", content=body)
    assert response.status_code == 400
    assert response.headers["x-ms-error-code"] == "InvalidBlockList"


def test_unsupported_operations_say_so(blob_server: BlobServer) -> None:
    container = shared_key_service(blob_server).create_container(new_container_name())
    blob = container.upload_blob("leased", b"x")
    with pytest.raises(HttpResponseError) as caught:
        blob.acquire_lease()
    assert caught.value.status_code == 501
    with pytest.raises(ResourceNotFoundError):
        container.get_blob_client("nope").get_blob_properties()
