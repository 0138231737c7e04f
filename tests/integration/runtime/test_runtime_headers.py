"""Request-id headers, TraceId, server version, and the per-request log line."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.integration.runtime.conftest import base_env

SCRIPT = """
    def init():
        print("init says hello")

    def run(data, request_headers):
        print("run saw", request_headers.get("X-Probe"))
        return {"content_type": request_headers.get("Content-Type")}
"""


@pytest.fixture(scope="module")
def runtime(serve_module):
    return serve_module(SCRIPT)


def test_request_id_is_generated_and_copied(runtime) -> None:
    response = runtime.client.post("/score", content="x")
    generated = response.headers["x-request-id"]
    assert uuid.UUID(generated).version == 4
    assert response.headers["x-ms-request-id"] == generated
    assert "x-ms-client-request-id" not in response.headers
    assert response.headers["x-ms-server-version"].startswith("basin-runtime/")


def test_ids_are_echoed(runtime) -> None:
    response = runtime.client.post(
        "/score",
        content="x",
        headers={"x-request-id": "rid", "x-ms-client-request-id": "cid", "TraceId": "t-1"},
    )
    assert response.headers["x-request-id"] == "rid"
    assert response.headers["x-ms-request-id"] == "cid"
    assert response.headers["x-ms-client-request-id"] == "cid"
    assert response.headers["traceid"] == "t-1"


def test_legacy_request_id_fills_the_client_id(runtime) -> None:
    response = runtime.client.post("/score", content="x", headers={"x-ms-request-id": "old"})
    assert response.headers["x-ms-request-id"] == "old"
    assert response.headers["x-ms-client-request-id"] == "old"
    assert "x-ms-request-id header has been deprecated" in runtime.output()


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("x-request-id", "x-request-id must not exceed 100 characters"),
        (
            "x-ms-client-request-id",
            "x-ms-request-id and x-ms-client-request-id must not exceed 100 characters",
        ),
        (
            "x-ms-request-id",
            "x-ms-request-id and x-ms-client-request-id must not exceed 100 characters",
        ),
    ],
)
def test_ids_over_100_characters_get_431(runtime, header: str, message: str) -> None:
    assert (
        runtime.client.post("/score", content="x", headers={header: "a" * 100}).status_code == 200
    )
    response = runtime.client.post("/score", content="x", headers={header: "a" * 101})
    assert response.status_code == 431
    assert response.json() == {"message": message}
    liveness = runtime.client.get("/", headers={header: "a" * 101})
    assert liveness.status_code == 431


def test_request_headers_argument_and_print_logging(runtime) -> None:
    response = runtime.client.post(
        "/score", content="x", headers={"X-Probe": "p1", "content-type": "text/plain"}
    )
    assert response.json() == {"content_type": "text/plain"}
    output = runtime.output()
    assert re.search(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} I \[\d+\] azmlinfsrv\.print - init says hello",
        output,
    )
    assert "azmlinfsrv.print - run saw p1" in output


def test_liveness_and_the_request_log_line(runtime) -> None:
    response = runtime.client.get("/")
    assert response.status_code == 200
    assert response.text == "Healthy"
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "x-request-id" in response.headers
    runtime.client.post("/score?probe=line", content="x")
    runtime.client.get("/swagger.json?version=3")
    output = runtime.output(containing="GET /swagger.json?version=3 200")
    line = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} I \[\d+\] azmlinfsrv - "
    assert re.search(line + r"POST /score\?probe=line 200 \d+\.\d{3}ms \d+\n", output)
    assert re.search(line + r"GET /swagger\.json\?version=3 200 \d+\.\d{3}ms \d+\n", output)
    assert "GET / " not in output  # liveness probes are not logged


def test_server_version_header_can_be_disabled(serve) -> None:
    runtime = serve(SCRIPT, env=base_env(SERVER_VERSION_LOG_RESPONSE_ENABLED="false"))
    assert "x-ms-server-version" not in runtime.client.get("/").headers
