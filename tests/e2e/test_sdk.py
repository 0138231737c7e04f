"""The SDK with azure-ai-ml's names against a real server process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from basin import MLClient, load_workspace
from basin.entities import Workspace
from basin.errors import ImmutableFieldError, NotFoundError, ValidationError
from basin.testing import ServerProcess


def test_workspace_life_cycle_with_pollers(ml_client: Any) -> None:
    ml_client.resource_groups.create_or_update("rg-sdk")
    client = MLClient(None, ml_client.subscription_id, "rg-sdk")
    try:
        poller = client.workspaces.begin_create(
            Workspace(name="ws-sdk", description="first", tags={"a": "b"})
        )
        assert poller.done() and poller.status() == "Succeeded"
        ws = poller.result()
        assert isinstance(ws, Workspace) and ws.id and ws.storage_account
        fetched = client.workspaces.get("ws-sdk")
        fetched.description = "second"
        updated = client.workspaces.begin_update(fetched).result()
        assert updated.description == "second" and updated.tags == {"a": "b"}
        fetched.hbi_workspace = True
        with pytest.raises(ImmutableFieldError):
            client.workspaces.begin_update(fetched)
        assert [w.name for w in client.workspaces.list()] == ["ws-sdk"]
        assert "ws-sdk" in [w.name for w in client.workspaces.list(scope="subscription")]
        client.workspaces.begin_delete("ws-sdk").result()
        with pytest.raises(NotFoundError):
            client.workspaces.get("ws-sdk")
        with pytest.raises(ValidationError, match="never deletes"):
            client.workspaces.begin_delete("ws-sdk", delete_dependent_resources=True)
        client.workspaces.begin_delete("ws-sdk", permanently_delete=True).result()
        assert client.workspaces.list(deleted=True) == []
    finally:
        client.close()


def test_from_config_and_load_workspace(
    server: ServerProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BASIN_HOME", str(server.home))
    project = tmp_path / "project"
    (project / ".azureml").mkdir(parents=True)
    (project / "src").mkdir()
    config = {
        "subscription_id": server.credentials["subscription_id"],
        "resource_group": "rg-cfg",
        "workspace_name": "ws-cfg",
    }
    (project / ".azureml" / "config.json").write_text(json.dumps(config))
    spec = project / "workspace.yml"
    spec.write_text(
        "$schema: https://azuremlschemas.azureedge.net/latest/workspace.schema.json\nname: ws-cfg\ndescription: from yaml\n"
    )

    class AnyCredential:  # e.g. DefaultAzureCredential(): accepted and not needed
        pass

    with MLClient.from_config(AnyCredential(), path=project / "src") as client:
        assert client.resource_group_name == "rg-cfg" and client.workspace_name == "ws-cfg"
        client.resource_groups.create_or_update("rg-cfg")
        ws = load_workspace(spec, params_override=[{"tags.team": "vision"}])
        assert ws.tags == {"team": "vision"}
        client.workspaces.begin_create(ws).result()
        assert client.workspaces.get().description == "from yaml"
    with pytest.raises(ValidationError, match=r"config\.json"):
        MLClient.from_config(path=tmp_path / "elsewhere-does-not-exist")


def test_exported_members() -> None:
    import basin
    import basin.entities
    import basin.errors
    import basin.sdk

    assert basin.__all__ == [
        "MLClient",
        "load_connection",
        "load_environment",
        "load_model",
        "load_online_deployment",
        "load_online_endpoint",
        "load_workspace",
        "load_workspace_connection",
    ]
    assert all(callable(getattr(basin, name)) for name in basin.__all__)
    assert set(basin.sdk.__all__) == {"BasinPoller", "MLClient"}
    assert {"Workspace", "ResourceGroup", "StorageAccount"} <= set(basin.entities.__all__)
    for name in basin.errors.__all__:
        assert hasattr(basin.errors, name)


def test_one_client_shared_by_threads(ml_client: Any) -> None:
    """An MLClient is shared by threads (as azure-ai-ml's is): each call gets its own answer.
    The SDK's one kept-alive connection once carried two exchanges at once (CannotSendRequest)."""
    from concurrent.futures import ThreadPoolExecutor

    names = [f"rg-threads-{i}" for i in range(8)]
    for name in names:
        ml_client.resource_groups.create_or_update(name)

    def read(n: int) -> str:
        return str(ml_client.resource_groups.get(names[n % len(names)]).name)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(read, range(200)))
    assert answers == [names[n % len(names)] for n in range(200)]
