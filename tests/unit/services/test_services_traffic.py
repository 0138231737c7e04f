"""Traffic rules of online endpoints (#13), the fast service tier: a whole Platform in-process.

Live traffic adds up to 100 (or 0: no live traffic), 0 % entries stay for deployments (as az keeps
them) and go for names of none, a mirror copies at
most 50 % of the requests to one deployment that takes no live traffic, and a deployment cannot
be deleted while it takes traffic.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from basin.entities import (
    CodeConfiguration,
    ManagedOnlineDeployment,
    ManagedOnlineEndpoint,
    Workspace,
)
from basin.errors import ValidationError
from basin.services import deployments, endpoints, groups, workspaces
from basin.services._resources import to_stored
from basin.services.platform import Platform
from basin.testing.platform import platform_under_test

CODE = "azureml://datastores/workspaceblobstore/paths/LocalUpload/0123/src"


def _store_deployment(platform: Platform, endpoint_id: str, name: str) -> None:
    """A deployment row as ``deployments.create_or_update`` stores it (its references already
    resolved: resolving an inline environment would start a build, which this tier leaves to
    the end-to-end tests)."""
    rid = deployments.deployment_id(endpoint_id, name)
    deployment = ManagedOnlineDeployment(
        name=name,
        endpoint_name="ep-1",
        code_configuration=CodeConfiguration(code=CODE, scoring_script="score.py"),
        environment="azureml:env:1",
        id=rid,
        provisioning_state="Succeeded",
    )
    with platform.store.transaction() as tx:
        tx.insert(to_stored(deployment, rid, deployments.TYPE))


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    with platform_under_test(tmp_path / "home") as put:
        groups.create(put.platform, "rg")
        workspaces.create(put.platform, "rg", Workspace(name="ws1"))
        made = endpoints.create_or_update(
            put.platform, "rg", "ws1", ManagedOnlineEndpoint(name="ep-1")
        )
        assert made.id
        for name in ("blue", "green", "shadow"):
            _store_deployment(put.platform, made.id, name)
        yield put.platform


def _update(platform: Platform, **patch: Any) -> ManagedOnlineEndpoint:
    return endpoints.update(platform, "rg", "ws1", "ep-1", patch)


def _refused(platform: Platform, words: str, **patch: Any) -> None:
    before = endpoints.get(platform, "rg", "ws1", "ep-1")
    with pytest.raises(ValidationError) as refused:
        _update(platform, **patch)
    assert words in refused.value.message, refused.value.message
    after = endpoints.get(platform, "rg", "ws1", "ep-1")
    assert (after.traffic, after.mirror_traffic) == (before.traffic, before.mirror_traffic)


def test_live_traffic_adds_up_to_100_or_0(platform: Platform) -> None:
    assert _update(platform, traffic={"blue": 100}).traffic == {"blue": 100}
    assert _update(platform, traffic={"blue": 90, "green": 10}).traffic == {
        "blue": 90,
        "green": 10,
    }
    assert _update(platform, traffic={}).traffic == {}
    _refused(platform, "at most 100", traffic={"blue": 90, "green": 20})
    # A split that adds up to less than 100 would answer some requests and drop the rest:
    # the gateway routes only a whole split, so the API refuses a partial one.
    _refused(platform, "add up to 100", traffic={"blue": 50})
    _refused(platform, "add up to 100", traffic={"blue": 60, "green": 30})


def test_zero_entries_are_kept_for_deployments_and_may_name_anything(platform: Platform) -> None:
    # az keeps a deployment at 0% ("blue=0 green=100", issue 11); a 0% entry naming no
    # deployment is dropped, not refused.
    updated = _update(platform, traffic={"blue": 100, "green": 0, "gone": 0})
    assert updated.traffic == {"blue": 100, "green": 0}
    assert _update(platform, traffic={"blue": 0, "green": 0}).traffic == {"blue": 0, "green": 0}
    assert (
        _update(platform, traffic={"blue": 100}, mirror_traffic={"shadow": 0}).mirror_traffic == {}
    )


def test_traffic_names_existing_deployments(platform: Platform) -> None:
    _refused(platform, "does not exist", traffic={"purple": 100})
    _refused(platform, "does not exist", traffic={"blue": 100}, mirror_traffic={"purple": 10})


def test_a_mirror_copies_at_most_half_to_one_deployment_without_live_traffic(
    platform: Platform,
) -> None:
    done = _update(platform, traffic={"blue": 100}, mirror_traffic={"shadow": 50})
    assert done.mirror_traffic == {"shadow": 50}
    _refused(platform, "at most 50%", mirror_traffic={"shadow": 51})
    _refused(platform, "one deployment", mirror_traffic={"shadow": 10, "green": 10})
    _refused(platform, "live traffic", mirror_traffic={"blue": 10})
    # a deployment at 0 % takes no live traffic, so it may be mirrored to
    done = _update(platform, traffic={"blue": 100, "shadow": 0}, mirror_traffic={"shadow": 20})
    assert done.mirror_traffic == {"shadow": 20}
    # and a mirror plus a 0 % entry is still one deployment
    done = _update(platform, mirror_traffic={"shadow": 20, "green": 0})
    assert done.mirror_traffic == {"shadow": 20}
    # moving live traffic onto the mirror target is refused while it is mirrored
    _refused(platform, "live traffic", traffic={"blue": 50, "shadow": 50})


def test_a_deployment_with_traffic_cannot_be_deleted_and_a_mirror_goes_with_its_target(
    platform: Platform,
) -> None:
    _update(platform, traffic={"blue": 90, "green": 10}, mirror_traffic={"shadow": 10})
    with pytest.raises(ValidationError) as refused:
        deployments.delete(platform, "rg", "ws1", "ep-1", "green")
    assert "10% of the traffic" in refused.value.message
    deployments.delete(platform, "rg", "ws1", "ep-1", "shadow")
    assert endpoints.get(platform, "rg", "ws1", "ep-1").mirror_traffic == {}
    _update(platform, traffic={"blue": 100, "green": 0})
    deployments.delete(platform, "rg", "ws1", "ep-1", "green")
    names = [d.name for d in deployments.list_deployments(platform, "rg", "ws1", "ep-1")]
    assert names == ["blue"]


def test_traffic_given_at_creation_must_name_deployments_of_the_endpoint(
    platform: Platform,
) -> None:
    with pytest.raises(ValidationError):
        endpoints.create_or_update(
            platform, "rg", "ws1", ManagedOnlineEndpoint(name="ep-2", traffic={"blue": 100})
        )
    assert [e.name for e in endpoints.list_endpoints(platform, "rg", "ws1")] == ["ep-1"]
