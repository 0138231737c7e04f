"""Bodies stream through the gateway both ways instead of being held whole."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import httpx
import pytest

from basin.gateway import DeploymentRoute

from .conftest import KEY1, Gateway, endpoint
from .test_gateway_status import _wait_for


def test_a_large_body_goes_both_ways_intact(make_gateway, fresh) -> None:
    gw: Gateway = make_gateway(
        endpoint("ep-big", {"blue": DeploymentRoute((fresh["blue"].address,))})
    )
    body = os.urandom(8 * 1024 * 1024)
    response = gw.score("ep-big", content=body)
    assert response.status_code == 200
    assert response.content == body
    large = gw.score("ep-big", path="score?size=5000000")
    assert large.content == b"x" * 5_000_000


def test_the_request_body_reaches_the_replica_before_it_is_all_sent(make_gateway, fresh) -> None:
    blue = fresh["blue"]
    gw: Gateway = make_gateway(endpoint("ep-upload", {"blue": DeploymentRoute((blue.address,))}))

    def body() -> Iterator[bytes]:
        yield b"a" * 1000
        # The rest is sent only once the replica has the first piece: a gateway that held
        # the body whole would never pass it on, and this test would time out.
        _wait_for(lambda: blue.stats()["receiving_bytes"] >= 1000, "the first piece")
        yield b"b" * 1000

    response = gw.score("ep-upload", content=body())
    assert response.status_code == 200
    assert response.content == b"a" * 1000 + b"b" * 1000


# warm: a first call leaves a kept-alive connection, so the request takes the task-free path
# (GatewayApp.answer_now), which hands a streaming answer over to a task.
@pytest.mark.parametrize("warm", [False, True], ids=["new-connection", "kept-alive"])
def test_the_answer_reaches_the_client_before_the_replica_is_done(
    make_gateway, fresh, warm: bool
) -> None:
    blue = fresh["blue"]
    gw: Gateway = make_gateway(endpoint("ep-download", {"blue": DeploymentRoute((blue.address,))}))
    if warm:
        assert gw.score("ep-download").status_code == 200
    with gw.client.stream(
        "POST",
        gw.url("ep-download", "score?stream=1"),
        headers={"Authorization": f"Bearer {KEY1}"},
    ) as response:
        assert response.status_code == 200
        pieces = response.iter_raw()
        first = next(pieces)
        assert first == b"first|"  # the replica is still holding the rest
        assert blue.stats()["in_flight"] == 1
        blue.release()
        rest = b"".join(pieces)
    assert rest == b"second"
    assert gw.score("ep-download").status_code == 200  # and the connection went back


@pytest.mark.parametrize("warm", [False, True], ids=["new-connection", "kept-alive"])
def test_a_client_that_leaves_mid_answer_stops_the_replica_call(
    make_gateway, fresh, warm: bool
) -> None:
    """Nobody will read the rest: the gateway drops its call to the replica at once instead
    of relaying a long answer to nowhere (the replica sees its client go)."""
    blue = fresh["blue"]
    gw: Gateway = make_gateway(endpoint("ep-leave", {"blue": DeploymentRoute((blue.address,))}))
    if warm:
        assert gw.score("ep-leave").status_code == 200
    with socket.create_connection(("127.0.0.1", gw.thread.port)) as client:
        client.sendall(
            b"POST /endpoints/ep-leave/score?stream=1 HTTP/1.1\r\nHost: x\r\n"
            b"Authorization: Bearer %s\r\nContent-Length: 2\r\n\r\n{}" % KEY1.encode()
        )
        assert b"first|" in client.recv(65536)  # the answer has started; the client leaves
    _wait_for(lambda: blue.stats()["disconnected"] == 1, "the replica to see its client go")
    _wait_for(lambda: len(gw.records) == 1 + warm, "the record")
    assert (gw.records[-1].status, gw.records[-1].reason) == (499, "client_disconnected")
    assert gw.app.router.plans["ep-leave"].live[0].in_flight == 0  # its capacity is back
    assert gw.score("ep-leave").status_code == 200


@pytest.mark.parametrize("warm", [False, True], ids=["new-connection", "kept-alive"])
def test_a_timeout_after_the_answer_started_breaks_the_connection(
    make_gateway, fresh, warm: bool
) -> None:
    blue = fresh["blue"]
    gw: Gateway = make_gateway(
        endpoint("ep-late", {"blue": DeploymentRoute((blue.address,), request_timeout_ms=300)})
    )
    if warm:
        assert gw.score("ep-late").status_code == 200
    with pytest.raises(httpx.RemoteProtocolError):  # a 200 cut short, never a complete one
        gw.score("ep-late", path="score?stream=1")
    blue.release()
    _wait_for(lambda: len(gw.records) == 1 + warm, "the record")
    record = gw.records[-1]
    assert (record.status, record.reason) == (200, "timeout_while_answering")
    assert gw.score("ep-late").status_code == 200
