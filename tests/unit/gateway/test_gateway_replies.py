"""Request-id rules and error bodies."""

from __future__ import annotations

import json
import os
import uuid

from basin.errors import AuthenticationError, error_from_code
from basin.gateway.replies import error_body, new_request_id, request_id_headers


def test_request_id_is_echoed_or_made() -> None:
    rid, headers = request_id_headers(b"r1", None, None)
    assert rid == b"r1"
    assert headers == [(b"x-request-id", b"r1"), (b"x-ms-request-id", b"r1")]
    made, headers = request_id_headers(None, None, None)
    assert uuid.UUID(made.decode()).version == 4
    assert headers == [(b"x-request-id", made), (b"x-ms-request-id", made)]


def test_client_and_legacy_ids_follow_the_inference_server() -> None:
    _, headers = request_id_headers(b"r1", None, b"c1")
    assert dict(headers) == {
        b"x-request-id": b"r1",
        b"x-ms-request-id": b"c1",
        b"x-ms-client-request-id": b"c1",
    }
    _, headers = request_id_headers(b"r1", b"l1", None)
    assert dict(headers)[b"x-ms-client-request-id"] == b"l1"
    _, headers = request_id_headers(b"r1", b"l1", b"c1")
    assert dict(headers)[b"x-ms-request-id"] == b"l1"
    assert dict(headers)[b"x-ms-client-request-id"] == b"c1"


def test_new_ids_are_uuid4_and_distinct() -> None:
    ids = {new_request_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(uuid.UUID(i).version == 4 for i in ids)


def test_error_bodies_rebuild_basin_errors() -> None:
    body = json.loads(error_body("AuthenticationFailed", "no"))
    error = error_from_code(body["error"]["code"], body["error"]["message"])
    assert isinstance(error, AuthenticationError)


def test_forked_workers_make_ids_of_their_own() -> None:
    """Gateway workers are forked from one process: each must make its own ids."""
    request_id_headers(None, None, None)  # ids made ahead in the parent, before the fork
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next id, to the parent
        try:
            os.write(write, request_id_headers(None, None, None)[0])
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = os.read(read, 100)
    os.close(read)
    assert uuid.UUID(child.decode()).version == 4
    assert child != request_id_headers(None, None, None)[0]
