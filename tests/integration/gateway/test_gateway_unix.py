"""Replicas reached over a Unix socket (``unix:/path`` in the routing table), as basin's local
back end has the gateway reach replicas on its machine: the same answers as over TCP."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from basin.errors import ValidationError
from basin.gateway import DeploymentRoute

from .conftest import Gateway, Replica, endpoint


@pytest.fixture(scope="module")
def unix_replica() -> Iterator[tuple[Replica, str]]:
    """A stand-in replica serving on a Unix socket (and on a port, for its counters)."""
    folder = Path(tempfile.mkdtemp(prefix="bgw-", dir="/tmp"))  # short: sun_path is 107 bytes
    path = folder / "replica.sock"
    replica = Replica("unix", "--uds", str(path))
    try:
        yield replica, f"unix:{path}"
    finally:
        replica.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def routed(
    make_gateway: Callable[..., Gateway], unix_replica: tuple[Replica, str]
) -> tuple[Gateway, Replica]:
    replica, address = unix_replica
    replica.reset()
    route = DeploymentRoute((address,), max_concurrent_requests_per_instance=4)
    return make_gateway(endpoint("ep-unix", {"blue": route})), replica


def test_requests_go_over_the_socket_on_new_and_kept_alive_connections(
    routed: tuple[Gateway, Replica],
) -> None:
    gw, replica = routed
    for n in range(3):  # a new connection, then the task-free path on the kept-alive one
        response = gw.score("ep-unix", content=b'{"n": %d}' % n)
        assert response.status_code == 200
        assert response.content == b'{"n": %d}' % n
        assert response.headers["azureml-model-deployment"] == "blue"
    stats = replica.stats()
    assert stats["calls"] == stats["unix_calls"] == 3


def test_large_bodies_stream_both_ways_over_the_socket(routed: tuple[Gateway, Replica]) -> None:
    gw, replica = routed

    def pieces() -> Iterator[bytes]:  # no length: the gateway streams it on, chunked
        for _ in range(40):
            yield b"x" * 65536

    sent = gw.score("ep-unix", content=pieces())
    assert sent.status_code == 200 and len(sent.content) == 40 * 65536
    large = gw.score("ep-unix", path="score?size=3000000")
    assert large.status_code == 200 and len(large.content) == 3000000
    assert replica.stats()["unix_calls"] == 2


def test_a_replica_model_error_and_a_timeout_keep_azures_statuses(
    routed: tuple[Gateway, Replica], make_gateway: Callable[..., Gateway]
) -> None:
    gw, _ = routed
    failed = gw.score("ep-unix", path="score?status=500")
    assert failed.status_code == 424
    assert failed.headers["ms-azureml-model-error-statuscode"] == "500"
    entry = gw.table.get("ep-unix")
    assert entry is not None
    address = entry.deployments["blue"].replicas[0]
    slow = DeploymentRoute((address,), request_timeout_ms=300)
    gw_slow = make_gateway(endpoint("ep-unix-slow", {"blue": slow}))
    assert gw_slow.score("ep-unix-slow", path="score?sleep=2").status_code == 408


def test_a_socket_nobody_listens_on_is_a_502_that_does_not_name_it(
    make_gateway: Callable[..., Gateway],
) -> None:
    missing = f"/tmp/bgw-gone-{os.getpid()}.sock"  # no such file
    gw = make_gateway(endpoint("ep-gone", {"blue": DeploymentRoute((f"unix:{missing}",))}))
    response = gw.score("ep-gone")
    assert response.status_code == 502
    assert missing not in response.text
    assert gw.records[-1].reason == "replica_unreachable"


def test_a_unix_address_must_be_an_absolute_path() -> None:
    with pytest.raises(ValidationError, match="absolute path"):
        DeploymentRoute(("unix:replica.sock",))
    DeploymentRoute(("unix:/run/basin/replica.sock", "127.0.0.1:5001"))
