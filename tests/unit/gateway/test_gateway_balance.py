"""Compiled plans: weighted choice, replica choice, limits, state kept across table changes."""

from __future__ import annotations

import hashlib

from basin.gateway import DeploymentRoute, EndpointRoute, MirrorTraffic, RoutingTable
from basin.gateway.balance import Router
from basin.gateway.metrics import GatewayMetrics


def _router(*routes: EndpointRoute) -> tuple[RoutingTable, Router]:
    table = RoutingTable(routes)
    return table, Router(table, GatewayMetrics(), None)


def _route(**changes: object) -> EndpointRoute:
    fields: dict[str, object] = {
        "name": "ep",
        "keys": ("k",),
        "traffic": {"blue": 90, "green": 10, "idle": 0},
        "deployments": {
            "blue": DeploymentRoute(("127.0.0.1:5001", "127.0.0.1:5002", "127.0.0.1:5003")),
            "green": DeploymentRoute(
                ("127.0.0.1:5004",),
                max_concurrent_requests_per_instance=3,
                request_timeout_ms=250,
            ),
            "idle": DeploymentRoute(),
        },
    }
    fields.update(changes)
    return EndpointRoute(**fields)  # type: ignore[arg-type]


def test_weighted_choice_by_roll() -> None:
    _, router = _router(_route())
    plan = router.plan("ep")
    assert plan is not None
    assert plan.choose(0.0).name == "blue"  # type: ignore[union-attr]
    assert plan.choose(0.8999).name == "blue"  # type: ignore[union-attr]
    assert plan.choose(0.9).name == "green"  # type: ignore[union-attr]
    assert plan.choose(0.99999).name == "green"  # type: ignore[union-attr]
    # 0 % deployments are never drawn, but the header can still reach them.
    assert {plan.choose(i / 1000).name for i in range(1000)} == {"blue", "green"}  # type: ignore[union-attr]
    assert plan.by_header[b"idle"].name == "idle"


def test_no_traffic_means_no_choice() -> None:
    _, router = _router(_route(traffic={}))
    plan = router.plan("ep")
    assert plan is not None and plan.choose(0.5) is None


def test_limits_and_timeouts_come_from_request_settings() -> None:
    _, router = _router(_route())
    plan = router.plan("ep")
    assert plan is not None
    blue, green, idle = (plan.by_header[n] for n in (b"blue", b"green", b"idle"))
    assert blue.limit == 2 * 1 * 3
    assert green.limit == 2 * 3 * 1
    assert idle.limit == 0
    assert green.timeout_s == 0.25
    assert blue.header == (b"azureml-model-deployment", b"blue")


def test_replicas_take_turns_and_the_least_busy_wins() -> None:
    _, router = _router(_route())
    plan = router.plan("ep")
    assert plan is not None
    blue = plan.by_header[b"blue"]
    turns = [blue.pick().address for _ in range(6)]
    assert sorted(turns) == sorted([r.address for r in blue.replicas] * 2)
    blue.replicas[0].in_flight = 2
    blue.replicas[1].in_flight = 1
    blue.replicas[2].in_flight = 1
    assert {blue.pick().address for _ in range(4)} == {"127.0.0.1:5002", "127.0.0.1:5003"}
    blue.replicas[2].in_flight = 0
    assert {blue.pick().address for _ in range(4)} == {"127.0.0.1:5003"}


def test_table_changes_are_picked_up_and_counters_survive() -> None:
    table, router = _router(_route())
    plan = router.plan("ep")
    assert plan is not None
    blue = plan.by_header[b"blue"]
    blue.in_flight = 2
    replica = blue.replicas[0]
    assert router.plan("ep") is plan  # no change, no recompiling
    table.set_replicas("ep", "blue", ["127.0.0.1:5001"])
    plan2 = router.plan("ep")
    assert plan2 is not None and plan2 is not plan
    assert plan2.by_header[b"blue"] is blue and blue.in_flight == 2
    assert [r.address for r in blue.replicas] == ["127.0.0.1:5001"]
    assert blue.replicas[0] is replica  # same pool
    assert blue.limit == 2


def test_replicas_and_endpoints_that_leave_the_table_are_closed() -> None:
    other_route = _route(
        name="other", traffic={"x": 100}, deployments={"x": DeploymentRoute(("127.0.0.1:6001",))}
    )
    table, router = _router(_route(), other_route)
    plan, other = router.plan("ep"), router.plan("other")
    assert plan is not None and other is not None
    gone = plan.by_header[b"blue"].replicas[1]
    kept = plan.by_header[b"blue"].replicas[0]
    table.set_replicas("ep", "blue", ["127.0.0.1:5001"])
    router.plan("ep")
    assert gone.pool.closed and not kept.pool.closed
    table.remove("other")
    assert router.plan("other") is None
    assert other.by_header[b"x"].replicas[0].pool.closed
    assert not kept.pool.closed


def test_mirror_and_keys_are_compiled() -> None:
    _, router = _router(_route(mirror=MirrorTraffic("idle", 25)))
    plan = router.plan("ep")
    assert plan is not None
    assert plan.keys == (hashlib.sha256(b"k").digest(),)  # compared as digests
    assert plan.mirror is not None and plan.mirror[0].name == "idle" and plan.mirror[1] == 25
    _, router = _router(_route(mirror=MirrorTraffic("idle", 0), auth_mode="aml_token", keys=()))
    plan = router.plan("ep")
    assert plan is not None and plan.mirror is None and plan.keys is None


def test_workers_shares_of_a_limit_add_up_to_it() -> None:
    from basin.gateway.balance import worker_share

    for total in (0, 1, 2, 7, 16):
        for workers in (1, 2, 3, 8):
            shares = [worker_share(total, i, workers) for i in range(workers)]
            assert sum(shares) == total and max(shares) - min(shares) <= 1
