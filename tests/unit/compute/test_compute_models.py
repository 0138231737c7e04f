"""ReplicaSpec: validation, value semantics, port substitution."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from basin.compute import ProbeSettings, ReplicaSpec, ReplicaState, ReplicaStatus
from basin.errors import ValidationError


def spec(**changes: object) -> ReplicaSpec:
    fields: dict[str, object] = {
        "key": "/deployments/blue",
        "revision": "abc",
        "argv": ["python", "-m", "basin.runtime", "--port", "{port}"],
        "env": {"A": "1"},
        "cwd": "/tmp",
    }
    fields.update(changes)
    return ReplicaSpec(**fields)  # type: ignore[arg-type,unused-ignore]


def test_lists_and_dicts_become_a_frozen_value() -> None:
    argv = ["run", "{port}"]
    env = {"A": "1"}
    first = spec(argv=argv, env=env)
    argv.append("x")
    env["B"] = "2"
    assert first.argv == ("run", "{port}") and first.env == {"A": "1"}
    assert first == spec(argv=("run", "{port}"), env={"A": "1"})
    assert first.cwd == Path("/tmp")
    assert first.liveness == ProbeSettings() and first.readiness.failure_threshold == 30


def test_the_port_is_put_into_argv_and_env() -> None:
    made = spec(env={"PORT": "{port}", "KEEP": "{other}"})
    assert made.command(8123)[-1] == "8123"
    assert made.environment(8123, {"MSI_SECRET": "s"}) == {
        "PORT": "8123",
        "KEEP": "{other}",
        "MSI_SECRET": "s",
    }


def test_the_socket_is_put_into_argv_and_env_or_left_empty() -> None:
    made = spec(argv=["serve", "{port}", "--uds", "{socket}"], env={"S": "{socket}"})
    assert made.command(1, "127.0.0.1", "/run/r.sock") == ["serve", "1", "--uds", "/run/r.sock"]
    assert made.environment(1, {}, "127.0.0.1", "/run/r.sock") == {"S": "/run/r.sock"}
    assert made.environment(1, {}) == {"S": ""}  # a back end without sockets (Ray)


def test_a_replica_is_routed_to_its_socket_when_it_has_one() -> None:
    status = ReplicaStatus("r", "rev", ReplicaState.READY, 7, 5001, 0, None, "")
    assert status.route == status.endpoint == "127.0.0.1:5001"
    on_socket = dataclasses.replace(status, socket="/run/r.sock")
    assert on_socket.route == "unix:/run/r.sock" and on_socket.endpoint == "127.0.0.1:5001"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"key": ""}, "key"),
        ({"revision": ""}, "revision"),
        ({"argv": []}, "command"),
        ({"argv": ["serve"]}, "port"),
        ({"probe_path": "health"}, "probe_path"),
        ({"liveness": ProbeSettings(period=0)}, "liveness_probe.period"),
        ({"readiness": ProbeSettings(initial_delay=-1)}, "readiness_probe.initial_delay"),
        ({"readiness": ProbeSettings(success_threshold=0)}, "success_threshold"),
        ({"liveness": ProbeSettings(timeout=float("inf"))}, "timeout"),
    ],
)
def test_bad_specs_are_refused_with_the_rule(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        spec(**changes).validate()


def test_a_port_in_env_only_is_enough() -> None:
    spec(argv=["serve"], env={"PORT": "{port}"}).validate()
