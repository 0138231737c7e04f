"""The routing table: validation, copy-on-write updates, JSON."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from basin.errors import ValidationError
from basin.gateway import DeploymentRoute, EndpointRoute, MirrorTraffic, RoutingTable


def _endpoint(**changes: object) -> EndpointRoute:
    fields: dict[str, object] = {
        "name": "ep",
        "keys": ("k1", "k2"),
        "traffic": {"blue": 90, "green": 10},
        "mirror": MirrorTraffic("shadow", 10),
        "deployments": {
            "blue": DeploymentRoute(("127.0.0.1:5001", "127.0.0.1:5002")),
            "green": DeploymentRoute(("127.0.0.1:5003",), request_timeout_ms=100),
            "shadow": DeploymentRoute((), max_concurrent_requests_per_instance=4),
        },
    }
    fields.update(changes)
    return EndpointRoute(**fields)  # type: ignore[arg-type]


def test_defaults_follow_azure_request_settings() -> None:
    route = DeploymentRoute()
    assert route.request_timeout_ms == 5000
    assert route.max_concurrent_requests_per_instance == 1
    assert EndpointRoute("ep").auth_mode == "key"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"traffic": {"blue": 50}}, "add up to 0 or 100"),
        ({"traffic": {"blue": 90, "green": 20}}, "add up to 0 or 100"),
        ({"traffic": {"blue": 110, "green": -10}}, ">= 0"),
        ({"traffic": {"purple": 100}}, "purple"),
        ({"traffic": {"blue": 99.5, "green": 0.5}}, "integer"),
        ({"mirror": MirrorTraffic("purple", 10)}, "purple"),
        ({"auth_mode": "aad_token"}, "auth_mode"),
        ({"keys": ("",)}, "non-empty"),
        ({"name": ""}, "name"),
        ({"name": "a/b"}, "name"),
    ],
)
def test_bad_entries_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _endpoint(**changes)


@pytest.mark.parametrize("address", ["5001", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:x", ":80"])
def test_bad_replica_addresses_are_refused(address: str) -> None:
    with pytest.raises(ValidationError, match="host:port"):
        DeploymentRoute((address,))


@pytest.mark.parametrize(
    "changes",
    [
        {"request_timeout_ms": 0},
        {"max_concurrent_requests_per_instance": 0},
        {"request_timeout_ms": True},
    ],
)
def test_bad_request_settings_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="positive integer"):
        DeploymentRoute(**changes)


def test_mirror_percent_is_bounded() -> None:
    with pytest.raises(ValidationError, match="0-100"):
        MirrorTraffic("shadow", 101)


def test_zero_traffic_everywhere_is_allowed() -> None:
    route = _endpoint(traffic={"blue": 0, "green": 0})
    assert dict(route.traffic) == {"blue": 0, "green": 0}


def test_entries_cannot_be_changed_in_place() -> None:
    route = _endpoint()
    with pytest.raises(AttributeError):
        route.keys = ("x",)  # type: ignore[misc]
    with pytest.raises(TypeError):
        route.traffic["blue"] = 100  # type: ignore[index]
    with pytest.raises(TypeError):
        route.deployments["x"] = DeploymentRoute()  # type: ignore[index]


def test_keys_stay_out_of_repr() -> None:
    assert "k1" not in repr(_endpoint())
    assert "k2" not in str(_endpoint())


def test_put_replaces_a_whole_entry_and_old_snapshots_stay_as_they_were() -> None:
    table = RoutingTable([_endpoint()])
    before = table.snapshot()
    version = table.version
    table.put(_endpoint(keys=("k3",)))
    assert table.version > version
    assert before["ep"].keys == ("k1", "k2")
    assert table.get("ep").keys == ("k3",)  # type: ignore[union-attr]
    with pytest.raises(TypeError):
        table.snapshot()["other"] = _endpoint()  # type: ignore[index]


def test_set_replicas_changes_one_deployment() -> None:
    table = RoutingTable([_endpoint()])
    old = table.get("ep")
    table.set_replicas("ep", "shadow", ["127.0.0.1:6000"])
    new = table.get("ep")
    assert new is not old and new is not None and old is not None
    assert new.deployments["shadow"].replicas == ("127.0.0.1:6000",)
    assert new.deployments["shadow"].max_concurrent_requests_per_instance == 4
    assert old.deployments["shadow"].replicas == ()
    assert new.deployments["blue"] is old.deployments["blue"]
    with pytest.raises(ValidationError, match="purple"):
        table.set_replicas("ep", "purple", [])
    with pytest.raises(ValidationError, match="nope"):
        table.set_replicas("nope", "blue", [])


def test_remove_and_replace_all() -> None:
    table = RoutingTable([_endpoint(), _endpoint(name="other")])
    assert table.remove("other") is True
    assert table.remove("other") is False
    assert [r.name for r in table] == ["ep"]
    table.replace_all([_endpoint(name="third")])
    assert table.get("ep") is None and len(table) == 1


def test_json_round_trip() -> None:
    table = RoutingTable([_endpoint(), _endpoint(name="tok", auth_mode="aml_token", keys=())])
    text = table.to_json()
    again = RoutingTable.from_json(text)
    assert again.to_dict() == table.to_dict()
    assert again.get("ep") == table.get("ep")
    data = json.loads(text)["endpoints"]["ep"]
    assert data["mirror_traffic"] == {"shadow": 10}
    assert data["deployments"]["green"]["request_timeout_ms"] == 100


@pytest.mark.parametrize(
    "text",
    [
        "[]",
        "{not json",
        '{"endpoints": {}, "extra": 1}',
        '{"endpoints": {"ep": {"colour": "red"}}}',
        '{"endpoints": {"ep": {"deployments": {"b": {"replicas": [], "speed": 1}}}}}',
        '{"endpoints": {"ep": {"deployments": {"a": {}, "b": {}}, '
        '"mirror_traffic": {"a": 10, "b": 10}}}}',
    ],
)
def test_bad_json_is_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        RoutingTable.from_json(text)


def test_a_verifier_rides_along_but_is_not_serialised() -> None:
    def verify(token: str) -> None:
        return None

    route = _endpoint(auth_mode="aml_token", token_verifier=verify)
    assert route.with_replicas("blue", []).token_verifier is verify
    assert "token_verifier" not in route.to_dict()


def test_writers_on_many_threads_lose_no_update() -> None:
    table = RoutingTable([_endpoint(name=f"ep{i}") for i in range(8)])

    def write(i: int) -> None:
        for n in range(50):
            table.set_replicas(f"ep{i}", "green", [f"127.0.0.1:{7000 + n}"])

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for i in range(8):
        assert table.get(f"ep{i}").deployments["green"].replicas == ("127.0.0.1:7049",)  # type: ignore[union-attr]


def test_key_hashes_travel_instead_of_keys() -> None:
    """A table written to disk for the gateway process can carry key digests only."""
    import hashlib

    from basin.gateway.balance import EndpointPlan  # noqa: F401 - the plan compares digests

    digest = hashlib.sha256(b"secret-key").hexdigest()
    route = EndpointRoute("ep-hashed", key_hashes=(digest,))
    data = RoutingTable([route]).to_json()
    assert "secret-key" not in data and digest in data
    again = RoutingTable.from_json(data).get("ep-hashed")
    assert again is not None and again.key_hashes == (digest,) and again.keys == ()
    with pytest.raises(ValidationError, match="SHA-256"):
        EndpointRoute("ep-bad", key_hashes=("not-a-digest",))
