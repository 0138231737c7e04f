"""azmlinfsrv's request-id rules."""

from __future__ import annotations

import uuid

from basin.runtime.requestid import resolve_request_ids


def _headers(result) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in result.headers}


def test_generated_id_is_a_uuid4_and_fills_the_legacy_header() -> None:
    result = resolve_request_ids(None, None, None)
    headers = _headers(result)
    assert uuid.UUID(headers["x-request-id"]).version == 4
    assert headers["x-ms-request-id"] == headers["x-request-id"]
    assert "x-ms-client-request-id" not in headers
    assert result.error is None and not result.legacy_used


def test_generated_ids_differ() -> None:
    ids = {_headers(resolve_request_ids(None, None, None))["x-request-id"] for _ in range(100)}
    assert len(ids) == 100


def test_client_id_fills_the_legacy_header() -> None:
    headers = _headers(resolve_request_ids("r", None, "c"))
    assert headers == {"x-request-id": "r", "x-ms-request-id": "c", "x-ms-client-request-id": "c"}


def test_legacy_id_fills_the_client_id() -> None:
    result = resolve_request_ids("r", "old", None)
    assert _headers(result) == {
        "x-request-id": "r",
        "x-ms-request-id": "old",
        "x-ms-client-request-id": "old",
    }
    assert result.legacy_used


def test_limits() -> None:
    assert resolve_request_ids("a" * 100, None, None).error is None
    too_long = resolve_request_ids("a" * 101, None, None)
    assert too_long.error == "x-request-id must not exceed 100 characters"
    assert too_long.headers == []
    client = resolve_request_ids("r", None, "c" * 101)
    assert client.error == (
        "x-ms-request-id and x-ms-client-request-id must not exceed 100 characters"
    )
    assert _headers(client) == {"x-request-id": "r"}
