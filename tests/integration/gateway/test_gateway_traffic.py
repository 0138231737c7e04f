"""Traffic split, mirroring, key regeneration and replica changes, against real replicas."""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx

from basin.gateway import DeploymentRoute, MirrorTraffic

from .conftest import KEY1, KEY2, Gateway, endpoint
from .test_gateway_status import _wait_for


def _send_many(gw: Gateway, endpoint_name: str, count: int, concurrency: int = 8) -> Counter[str]:
    """POST ``count`` requests with httpx.AsyncClient; count the answering deployments."""

    async def run() -> Counter[str]:
        seen: Counter[str] = Counter()
        limits = httpx.Limits(max_connections=concurrency)
        async with httpx.AsyncClient(timeout=30, limits=limits) as client:
            queue = iter(range(count))

            async def worker() -> None:
                for _ in queue:
                    response = await client.post(
                        gw.url(endpoint_name),
                        content=b'{"data": 1}',
                        headers={"Authorization": f"Bearer {KEY1}"},
                    )
                    assert response.status_code == 200, response.text
                    seen[response.headers["azureml-model-deployment"]] += 1

            await asyncio.gather(*(worker() for _ in range(concurrency)))
        return seen

    return asyncio.run(run())


def _within_4_sigma(observed: int, n: int, p: float) -> bool:
    sigma = math.sqrt(n * p * (1 - p))
    return abs(observed - n * p) <= 4 * sigma


def test_a_90_10_split_over_1000_requests(make_gateway, fresh) -> None:
    gw: Gateway = make_gateway(
        endpoint(
            "ep-split",
            {
                "blue": DeploymentRoute(
                    (fresh["blue"].address,), max_concurrent_requests_per_instance=8
                ),
                "green": DeploymentRoute(
                    (fresh["green"].address,), max_concurrent_requests_per_instance=8
                ),
            },
            traffic={"blue": 90, "green": 10},
        )
    )
    seen = _send_many(gw, "ep-split", 1000)
    assert seen["blue"] + seen["green"] == 1000
    assert _within_4_sigma(seen["green"], 1000, 0.10), seen
    assert fresh["green"].stats()["calls"] == seen["green"]
    assert fresh["blue"].stats()["calls"] == seen["blue"]


def _gauge(gw: Gateway, name: str, endpoint_name: str, deployment: str) -> float:
    prefix = f'{name}{{endpoint="{endpoint_name}",deployment="{deployment}"}} '
    for line in gw.client.get("/metrics").text.splitlines():
        if line.startswith(prefix):
            return float(line[len(prefix) :])
    raise AssertionError(f"{prefix!r} not in /metrics")


def test_mirror_gets_its_share_and_the_client_never_sees_it(make_gateway, fresh) -> None:
    blue, shadow = fresh["blue"], fresh["shadow"]  # shadow holds every call, then answers 500
    gw: Gateway = make_gateway(
        endpoint(
            "ep-mirror",
            {
                "blue": DeploymentRoute((blue.address,), max_concurrent_requests_per_instance=8),
                "shadow": DeploymentRoute(
                    (shadow.address,),
                    max_concurrent_requests_per_instance=1000,
                    request_timeout_ms=60000,
                ),
            },
            traffic={"blue": 100},
            mirror=MirrorTraffic("shadow", 20),
        )
    )
    # Every copy is held by the shadow while the clients get all their answers: the mirror
    # can neither delay nor change what a client gets.
    seen = _send_many(gw, "ep-mirror", 400)
    assert seen == Counter({"blue": 400})  # 200s from blue only: never the mirror's 500
    dispatched = _gauge(gw, "basin_gateway_in_flight_requests", "ep-mirror", "shadow")
    _wait_for(lambda: shadow.stats()["calls"] == dispatched, "the copies to reach the shadow")
    assert shadow.stats()["in_flight"] == dispatched  # all still held
    assert _within_4_sigma(int(dispatched), 400, 0.20), dispatched
    shadow.release()
    _wait_for(lambda: shadow.stats()["finished"] == dispatched, "the copies to finish")
    _wait_for(lambda: sum(1 for r in gw.records if r.mirror) == dispatched, "mirror records")
    assert blue.stats()["calls"] == 400
    # Requests pinned by the header are not mirrored (as in Azure).
    for _ in range(20):
        pinned = gw.score("ep-mirror", headers={"azureml-model-deployment": "blue"})
        assert pinned.status_code == 200
    assert shadow.stats()["calls"] == dispatched
    mirror_records = [r for r in gw.records if r.mirror]
    assert {(r.deployment, r.status, r.model_status) for r in mirror_records} == {
        ("shadow", 500, 500)
    }
    assert sum(1 for r in gw.records if not r.mirror) == 420
    mirrored = 'basin_gateway_mirrored_requests_total{endpoint="ep-mirror",deployment="shadow",'
    assert f'{mirrored}status="500"}} {int(dispatched)}' in gw.client.get("/metrics").text


def test_the_mirror_takes_no_capacity_it_does_not_have(make_gateway, fresh) -> None:
    blue, shadow = fresh["blue"], fresh["shadow"]
    gw: Gateway = make_gateway(
        endpoint(
            "ep-mirror-full",
            {
                "blue": DeploymentRoute((blue.address,), max_concurrent_requests_per_instance=4),
                "shadow": DeploymentRoute((shadow.address,), request_timeout_ms=60000),
            },
            traffic={"blue": 100},
            mirror=MirrorTraffic("shadow", 100),
        )
    )
    for _ in range(6):  # every request is copied; the shadow takes 2 x 1 x 1 at a time
        assert gw.score("ep-mirror-full").status_code == 200
    _wait_for(lambda: shadow.stats()["calls"] == 2, "two copies held")
    _wait_for(lambda: sum(1 for r in gw.records if r.mirror) == 4, "four copies dropped")
    assert {r.status for r in gw.records if r.mirror} == {429}
    shadow.release()
    _wait_for(lambda: shadow.stats()["finished"] == 2, "the held copies to finish")


def test_a_regenerated_key_takes_effect_at_once(make_gateway, fresh) -> None:
    route = endpoint("ep-keys", {"blue": DeploymentRoute((fresh["blue"].address,))})
    gw: Gateway = make_gateway(route)
    assert gw.score("ep-keys", key=KEY1).status_code == 200
    gw.table.put(route.evolve(keys=("regenerated-primary", KEY2)))
    assert gw.score("ep-keys", key=KEY1).status_code == 401
    assert gw.score("ep-keys", key="regenerated-primary").status_code == 200
    assert gw.score("ep-keys", key=KEY2).status_code == 200


def test_requests_spread_over_the_ready_replicas(make_gateway, fresh) -> None:
    blue, blue2 = fresh["blue"], fresh["blue2"]
    gw: Gateway = make_gateway(endpoint("ep-spread", {"blue": DeploymentRoute((blue.address,))}))
    for _ in range(4):
        assert gw.score("ep-spread").status_code == 200
    gw.table.set_replicas("ep-spread", "blue", [blue.address, blue2.address])
    for _ in range(10):
        assert gw.score("ep-spread").status_code == 200
    assert blue2.stats()["calls"] == 5  # idle replicas take turns
    assert blue.stats()["calls"] == 4 + 5
    # A replica busy with a held request is skipped while the other is free.
    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(gw.score, "ep-spread", path="score?hold=1")
        _wait_for(lambda: blue.stats()["in_flight"] + blue2.stats()["in_flight"] == 1, "hold")
        busy = blue if blue.stats()["in_flight"] else blue2
        free = blue2 if busy is blue else blue
        before = free.stats()["calls"]
        for _ in range(3):
            assert gw.score("ep-spread").status_code == 200
        assert free.stats()["calls"] == before + 3
        busy.release()
        assert held.result().status_code == 200
    # A replica taken out of the table gets nothing more.
    gw.table.set_replicas("ep-spread", "blue", [blue2.address])
    before = blue.stats()["calls"]
    for _ in range(3):
        assert gw.score("ep-spread").status_code == 200
    assert blue.stats()["calls"] == before


def test_a_replica_refusing_connections_costs_no_request(make_gateway, fresh) -> None:
    """A replica that died before the supervisor noticed: nothing was sent to it, so the gateway
    sends the request to another ready replica instead of answering 502."""
    import socket

    with socket.socket() as placeholder:  # a port nobody listens on
        placeholder.bind(("127.0.0.1", 0))
        dead = f"127.0.0.1:{placeholder.getsockname()[1]}"
    gw: Gateway = make_gateway(
        endpoint(
            "ep-dead",
            {
                "blue": DeploymentRoute(
                    (dead, fresh["blue"].address), max_concurrent_requests_per_instance=8
                )
            },
            traffic={"blue": 100},
        )
    )
    assert _send_many(gw, "ep-dead", 40, concurrency=4) == Counter({"blue": 40})
