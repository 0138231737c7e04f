"""The ARM adapter's small pieces: case-insensitive routing, ISO 8601 durations, the envelope,
Azure ML's workspace template read as a Workspace."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from basin.errors import ValidationError
from basin.server.arm.routing import ArmRouter
from basin.server.arm.templates import is_workspace_template, workspace_from_template
from basin.server.arm.wire import duration, envelope, parse_duration

SUB = "00000000-1111-2222-3333-444444444444"


def _handler(_request: Any) -> None:
    return None


def test_paths_match_without_regard_to_case_and_keep_the_callers_names() -> None:
    router = ArmRouter()
    router.add("GET", "/subscriptions/{subscription}/resourceGroups/{group}", _handler)
    router.add("GET,PUT", "/subscriptions/{subscription}{scope:path}/providers/Microsoft.Authorization/roleAssignments/{name}", _handler)  # fmt: skip
    router.add("GET", "/w/{kind:models|codes}", _handler)
    found = router.resolve("GET", f"/subscriptions/{SUB}/resourcegroups/My-RG")
    assert found is not None and found.params == {"subscription": SUB, "group": "My-RG"}
    assert router.resolve("GET", f"/subscriptions/{SUB}/resourcegroups/My-RG/") is not None
    scoped = router.resolve(
        "PUT",
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a"
        "/providers/Microsoft.Authorization/roleAssignments/r1",
    )
    assert scoped is not None
    assert (
        scoped.params["scope"] == "/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/a"
    )
    at_subscription = router.resolve(
        "GET", f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleAssignments/r1"
    )
    assert at_subscription is not None and at_subscription.params["scope"] == ""
    assert router.resolve("GET", "/w/models") is not None
    assert router.resolve("GET", "/w/jobs") is None
    assert router.resolve("DELETE", f"/subscriptions/{SUB}/resourceGroups/rg") is None
    assert router.allowed_methods(f"/subscriptions/{SUB}/resourceGroups/rg") == {"GET"}


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT5S", 5),
        ("PT0.5S", 0.5),
        ("PT1M30S", 90),
        ("PT2H", 7200),
        ("P1D", 86400),
        ("P1DT1S", 86401),
    ],
)
def test_durations_both_ways(text: str, seconds: float) -> None:
    assert parse_duration(text, "f") == seconds
    assert parse_duration(duration(seconds), "f") == seconds


@pytest.mark.parametrize("bad", ["5", "PT", "P", "5 seconds", 5, None, "PT-1S"])
def test_a_bad_duration_names_the_field(bad: Any) -> None:
    with pytest.raises(ValidationError, match=r"requestTimeout.*ISO 8601"):
        parse_duration(bad, "properties.requestSettings.requestTimeout")


def test_the_envelope_leaves_out_what_is_not_there() -> None:
    made = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    body = envelope(
        "/subscriptions/s/resourceGroups/rg/providers/X.Y/things/t1", "X.Y/things",
        {"a": 1, "b": None}, created_at=made, location="local", identity=None,
    )  # fmt: skip
    assert body == {
        "id": "/subscriptions/s/resourceGroups/rg/providers/X.Y/things/t1",
        "name": "t1",
        "type": "X.Y/things",
        "location": "local",
        "properties": {"a": 1},
        "systemData": {
            "createdAt": "2026-01-02T03:04:05Z",
            "createdByType": "Application",
            "lastModifiedAt": "2026-01-02T03:04:05Z",
            "lastModifiedByType": "Application",
        },
    }


def _template() -> dict[str, Any]:
    names = (
        "workspaceName", "description", "friendlyName", "kind", "location", "tagValues",
        "storageAccountOption", "storageAccountName", "storageAccountResourceGroupName",
        "storageAccountSubscriptionId", "keyVaultOption", "keyVaultName",
        "keyVaultResourceGroupName", "applicationInsightsOption", "containerRegistryOption",
        "confidential_data", "publicNetworkAccess", "encryption_status",
    )  # fmt: skip
    parameters: dict[str, Any] = {name: {"type": "string"} for name in names}
    parameters["kind"]["defaultValue"] = "Default"
    parameters["storageAccountOption"]["defaultValue"] = "new"
    parameters["location"]["defaultValue"] = "[resourceGroup().location]"
    resources = [{"type": "Microsoft.MachineLearningServices/workspaces"}]
    return {"parameters": parameters, "resources": resources}


def test_azure_mls_workspace_template_is_recognised_by_its_parameters() -> None:
    assert is_workspace_template(_template())
    other = _template() | {"resources": [{"type": "Microsoft.Compute/virtualMachines"}]}
    assert not is_workspace_template(other)
    missing = _template()
    del missing["parameters"]["keyVaultOption"]
    assert not is_workspace_template(missing)
    assert not is_workspace_template("not a template")


def test_the_templates_parameters_become_the_workspace() -> None:
    values = {
        "workspaceName": "ws1", "description": "d", "friendlyName": "Nice",
        "tagValues": {"createdByToolkit": "sdk-v2-1.35.2"}, "confidential_data": "true",
        "storageAccountOption": "existing", "storageAccountName": "st1",
        "storageAccountResourceGroupName": "rg-data", "storageAccountSubscriptionId": SUB,
        "keyVaultOption": "new", "keyVaultName": "generated-by-the-sdk",
        "publicNetworkAccess": "Disabled",
    }  # fmt: skip
    given = {k: {"value": v} for k, v in values.items()}
    workspace, read = workspace_from_template(SUB, "rg", _template(), given)
    assert workspace.name == "ws1" and workspace.display_name == "Nice"
    assert workspace.hbi_workspace and workspace.public_network_access == "Disabled"
    assert workspace.tags == {"createdByToolkit": "sdk-v2-1.35.2"}
    assert workspace.storage_account == (
        f"/subscriptions/{SUB}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/st1"
    )
    assert workspace.key_vault is None  # "new": basin makes it, with its own name
    assert workspace.location is None  # a template expression is not a value
    assert read["kind"] == "Default"
    with pytest.raises(ValidationError, match="hubs and projects"):
        workspace_from_template(SUB, "rg", _template(), given | {"kind": {"value": "Hub"}})
    with pytest.raises(ValidationError, match="storageAccountName"):
        workspace_from_template(
            SUB, "rg", _template(),
            {"workspaceName": {"value": "w"}, "storageAccountOption": {"value": "existing"}},
        )  # fmt: skip
