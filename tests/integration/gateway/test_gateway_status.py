"""Every status code of the front door, against real replica processes."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from basin.gateway import DeploymentRoute

from .conftest import KEY1, KEY2, TOKEN, Gateway, Replica, endpoint


def _route(replica: Replica, **settings: int) -> DeploymentRoute:
    return DeploymentRoute((replica.address,), **settings)


def _hold_two(
    pool: ThreadPoolExecutor, gw: Gateway, name: str, replica: Replica
) -> list[Future[Any]]:
    """Two calls to ``name`` that ``replica`` holds (until released): its limit, at 1 per
    instance; returns their futures once both are at the replica."""
    held = [pool.submit(gw.score, name, path="score?hold=1") for _ in range(2)]
    _wait_for(lambda: replica.stats()["in_flight"] == 2, "two requests held by the replica")
    return held


def _wait_for(check: Callable[[], bool], what: str, limit: float = 20.0) -> None:
    """Poll until ``check()`` holds (the limit only bounds a failing test)."""
    deadline = time.monotonic() + limit
    while not check():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.02)


def test_200_passes_the_answer_through(make_gateway, fresh) -> None:
    gw: Gateway = make_gateway(endpoint("ep-ok", {"blue": _route(fresh["blue"])}))
    response = gw.score("ep-ok", content=b'{"x": 1}', headers={"content-type": "application/json"})
    assert response.status_code == 200
    assert response.content == b'{"x": 1}'
    assert response.headers["azureml-model-deployment"] == "blue"
    assert response.headers["x-replica"] == "blue"
    assert response.headers["content-type"] == "application/json"


def test_401_without_a_valid_key(make_gateway, fresh) -> None:
    gw: Gateway = make_gateway(endpoint("ep-auth", {"blue": _route(fresh["blue"])}))
    assert gw.score("ep-auth", key=None).status_code == 401
    assert gw.score("ep-auth", key="wrong").status_code == 401
    assert gw.score("ep-auth", key=KEY1 + "x").status_code == 401
    empty = {"Authorization": "Bearer"}
    assert gw.client.post(gw.url("ep-auth"), headers=empty).status_code == 401
    basic = {"Authorization": f"Basic {KEY1}"}
    assert gw.client.post(gw.url("ep-auth"), headers=basic).status_code == 401
    assert gw.score("ep-auth", key=KEY1).status_code == 200
    assert gw.score("ep-auth", key=KEY2).status_code == 200
    lower = {"Authorization": f"bearer {KEY2}"}
    assert gw.client.post(gw.url("ep-auth"), headers=lower).status_code == 200
    refused = gw.score("ep-auth", key="wrong")
    assert refused.json()["error"]["code"] == "AuthenticationFailed"
    assert fresh["blue"].stats()["calls"] == 3  # refused calls never reach the replica


def test_401_for_aml_token_endpoints_uses_the_verifier(make_gateway, fresh) -> None:
    route = endpoint("ep-token", {"blue": _route(fresh["blue"])}, auth_mode="aml_token", keys=())
    gw: Gateway = make_gateway(route)
    assert gw.score("ep-token", key=TOKEN).status_code == 200
    assert gw.score("ep-token", key="forged").status_code == 401
    assert gw.score("ep-token", key=None).status_code == 401


def test_a_token_endpoint_without_any_verifier_refuses_everyone(make_gateway, fresh) -> None:
    route = endpoint(
        "ep-token2",
        {"blue": _route(fresh["blue"])},
        auth_mode="aml_token",
        keys=(),
        token_verifier=lambda token: None,
    )
    gw: Gateway = make_gateway(route)
    assert gw.score("ep-token2", key="anything").status_code == 200  # its own verifier accepts
    gw.table.put(route.evolve(token_verifier=None))  # now the gateway-wide one applies
    assert gw.score("ep-token2", key="anything").status_code == 401
    assert gw.score("ep-token2", key=TOKEN).status_code == 200


def test_404_for_an_unknown_endpoint(make_gateway, fresh) -> None:
    gw: Gateway = make_gateway(endpoint("ep-404", {"blue": _route(fresh["blue"])}))
    response = gw.score("no-such-endpoint")
    assert response.status_code == 404
    assert "no-such-endpoint" in response.json()["error"]["message"]
    assert gw.client.get("/elsewhere").status_code == 404


def test_404_when_no_deployment_has_traffic(make_gateway, fresh) -> None:
    gw: Gateway = make_gateway(
        endpoint("ep-zero", {"blue": _route(fresh["blue"])}, traffic={"blue": 0})
    )
    response = gw.score("ep-zero")
    assert response.status_code == 404
    assert "no deployment with traffic > 0" in response.json()["error"]["message"]
    # ... but the header still reaches a deployment at 0 %
    pinned = gw.score("ep-zero", headers={"azureml-model-deployment": "blue"})
    assert pinned.status_code == 200
    assert pinned.headers["azureml-model-deployment"] == "blue"


def test_the_deployment_header_overrides_the_split(make_gateway, fresh) -> None:
    gw: Gateway = make_gateway(
        endpoint(
            "ep-pin",
            {"blue": _route(fresh["blue"]), "green": _route(fresh["green"])},
            traffic={"blue": 100, "green": 0},
        )
    )
    for _ in range(5):
        response = gw.score("ep-pin", headers={"azureml-model-deployment": "green"})
        assert response.status_code == 200
        assert response.headers["azureml-model-deployment"] == "green"
        assert response.headers["x-replica"] == "green"
    unknown = gw.score("ep-pin", headers={"azureml-model-deployment": "purple"})
    assert unknown.status_code == 404
    assert "purple" in unknown.json()["error"]["message"]
    assert fresh["green"].stats()["calls"] == 5


def test_503_when_the_deployment_has_no_ready_replica(make_gateway, fresh) -> None:
    gw: Gateway = make_gateway(endpoint("ep-503", {"blue": DeploymentRoute(())}))
    response = gw.score("ep-503")
    assert response.status_code == 503
    assert response.headers["azureml-model-deployment"] == "blue"
    gw.table.set_replicas("ep-503", "blue", [fresh["blue"].address])
    assert gw.score("ep-503").status_code == 200  # a replica that becomes ready is used at once


def test_408_past_request_timeout_and_the_replica_call_is_cancelled(make_gateway, fresh) -> None:
    blue = fresh["blue"]
    gw: Gateway = make_gateway(endpoint("ep-408", {"blue": _route(blue, request_timeout_ms=300)}))
    assert gw.score("ep-408").status_code == 200  # the held call below reuses this connection
    response = gw.score("ep-408", path="score?hold=1")
    assert response.status_code == 408
    assert response.json()["error"]["code"] == "RequestTimeout"
    # The replica saw its caller go away (the gateway dropped the connection).
    _wait_for(lambda: blue.stats()["disconnected"] == 1, "the replica to see the disconnect")
    assert gw.score("ep-408").status_code == 200  # and the deployment keeps serving
    fresh_call = gw.score("ep-408", path="score?hold=1", headers={"connection": "close"})
    assert fresh_call.status_code == 408
    _wait_for(lambda: blue.stats()["disconnected"] == 2, "the second disconnect")


def test_424_carries_the_replica_status_and_body(make_gateway, fresh) -> None:
    gw: Gateway = make_gateway(endpoint("ep-424", {"blue": _route(fresh["blue"])}))
    for status in (500, 400, 404, 201):
        response = gw.score("ep-424", path=f"score?status={status}")
        assert response.status_code == 424
        assert response.headers["ms-azureml-model-error-statuscode"] == str(status)
        assert response.headers["ms-azureml-model-error-reason"] == "model_error"
        assert response.headers["azureml-model-deployment"] == "blue"
        assert response.json() == {"replica": "blue", "status": status}


def test_429_past_twice_the_concurrency_of_the_ready_instances(make_gateway, fresh) -> None:
    blue = fresh["blue"]
    gw: Gateway = make_gateway(
        endpoint(
            "ep-429",
            {"blue": _route(blue, max_concurrent_requests_per_instance=1, max_queue_wait_ms=0)},
        )
    )
    with ThreadPoolExecutor(2) as pool:
        held = _hold_two(pool, gw, "ep-429", blue)
        # 2 x 1 x 1 requests are in flight and no queueing: every further one is refused at once.
        burst = [gw.score("ep-429") for _ in range(5)]
        assert [r.status_code for r in burst] == [429] * 5
        assert burst[0].headers["ms-azureml-model-error-reason"] == "too_many_pending_request"
        assert blue.stats()["calls"] == 2
        blue.release()
        assert [f.result().status_code for f in held] == [200, 200]
    assert gw.score("ep-429").status_code == 200


def test_requests_past_the_limit_wait_up_to_max_queue_wait_ms(make_gateway, fresh) -> None:
    """As Azure: past the in-flight limit a request queues for max_queue_wait_ms, then 429."""
    blue = fresh["blue"]
    route = _route(blue, max_concurrent_requests_per_instance=1, max_queue_wait_ms=30_000)
    gw: Gateway = make_gateway(endpoint("ep-queue", {"blue": route}))
    with ThreadPoolExecutor(8) as pool:
        held = _hold_two(pool, gw, "ep-queue", blue)
        queued = [pool.submit(gw.score, "ep-queue", content=b"{}") for _ in range(6)]
        _wait_for(
            lambda: len(gw.app.router.plans["ep-queue"].live[0].waiters) == 6, "six requests queued"
        )
        assert blue.stats()["calls"] == 2  # they wait in the gateway, not at the replica
        blue.release()
        assert [f.result().status_code for f in held + queued] == [200] * 8
    short = _route(blue, max_concurrent_requests_per_instance=1, max_queue_wait_ms=200)
    gw.table.put(endpoint("ep-queue", {"blue": short}))
    with ThreadPoolExecutor(3) as pool:
        held = _hold_two(pool, gw, "ep-queue", blue)
        late = gw.score("ep-queue")  # nothing frees within 200 ms
        assert late.status_code == 429
        assert "max_queue_wait_ms (200 ms)" in late.json()["error"]["message"]
        blue.release()
        assert [f.result().status_code for f in held] == [200, 200]


def test_a_request_whose_client_left_while_it_queued_never_reaches_a_replica(
    make_gateway, fresh
) -> None:
    blue = fresh["blue"]
    route = _route(blue, max_concurrent_requests_per_instance=1, max_queue_wait_ms=30_000)
    gw: Gateway = make_gateway(endpoint("ep-left", {"blue": route}))
    with ThreadPoolExecutor(2) as pool:
        held = _hold_two(pool, gw, "ep-left", blue)
        waiters = gw.app.router.plans["ep-left"].live[0].waiters
        with socket.create_connection(("127.0.0.1", gw.thread.port)) as client:
            client.sendall(
                b"POST /endpoints/ep-left/score HTTP/1.1\r\nHost: x\r\n"
                b"Authorization: Bearer %s\r\nContent-Length: 2\r\n\r\n{}" % KEY1.encode()
            )
            _wait_for(lambda: len(waiters) == 1, "the request to queue")
        # the client has gone; room comes after that
        blue.release()
        assert [f.result().status_code for f in held] == [200, 200]
    _wait_for(lambda: len(gw.records) == 3, "the records")
    assert blue.stats()["calls"] == 2  # the third never reached the replica
    left = [r for r in gw.records if r.status != 200]
    assert [(r.status, r.reason) for r in left] == [(499, "client_disconnected")]


def test_413_for_a_body_over_the_limit(make_gateway, fresh) -> None:
    gw: Gateway = make_gateway(
        endpoint("ep-413", {"blue": _route(fresh["blue"])}), max_body_bytes=1024
    )
    assert gw.score("ep-413", content=b"x" * 1024).status_code == 200
    declared = gw.score("ep-413", content=b"x" * 1025)
    assert declared.status_code == 413
    assert declared.json()["error"]["code"] == "PayloadTooLarge"

    def pieces():  # no content-length: the limit is found while streaming
        for _ in range(4):
            yield b"y" * 400

    assert gw.score("ep-413", content=pieces()).status_code == 413
    assert gw.score("ep-413").status_code == 200


def test_502_when_a_replica_cannot_be_reached(make_gateway, fresh) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"127.0.0.1:{sock.getsockname()[1]}"
    gw: Gateway = make_gateway(endpoint("ep-502", {"blue": DeploymentRoute((dead,))}))
    response = gw.score("ep-502")
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "BadGateway"
    assert dead not in response.text and "127.0.0.1" not in response.text  # no internal address


def test_swagger_and_other_paths_are_forwarded(make_gateway, fresh) -> None:
    gw: Gateway = make_gateway(endpoint("ep-paths", {"blue": _route(fresh["blue"])}))
    auth = {"Authorization": f"Bearer {KEY1}"}
    swagger = gw.client.get(gw.url("ep-paths", "swagger.json?version=3"), headers=auth)
    assert swagger.status_code == 200
    assert gw.client.get(gw.url("ep-paths", "swagger.json")).status_code == 401
    got = gw.client.get(gw.url("ep-paths", "score?headers=1&a=b"), headers=auth)
    assert got.status_code == 200
    assert json.loads(got.content)["host"]  # the replica got a well-formed request
    head = gw.client.head(gw.url("ep-paths", "score?size=10"), headers=auth)
    assert (head.status_code, head.headers["content-length"], head.content) == (200, "10", b"")
    assert gw.score("ep-paths").status_code == 200  # the connection after a HEAD is sound
    paths = fresh["blue"].stats()["paths"]
    assert paths == {"/swagger.json": 1, "/score": 3}
