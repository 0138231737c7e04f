"""Every group and workspace verb through the real CLI against a real server process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from basin.testing import ServerProcess


def ok(result: Any) -> Any:
    assert result.code == 0, result.err
    return result.json() if result.out.strip() else None


def assign(cli: Any, principal: str, role: str, scope: str) -> Any:
    """``basin role assignment create`` for a principal, which must succeed."""
    return ok(
        cli(
            "role",
            "assignment",
            "create",
            "--assignee-object-id",
            principal,
            "--role",
            role,
            "--scope",
            scope,
        )
    )


def fails(result: Any, *fragments: str) -> str:
    assert result.code != 0, result.out
    assert result.err.startswith("ERROR: "), result.err
    assert len(result.err.strip().splitlines()) == 1, result.err
    for fragment in fragments:
        assert fragment in result.err, result.err
    return str(result.err)


def test_group_verbs(cli: Any) -> None:
    created = ok(cli("group", "create", "-n", "g-verbs", "-l", "local", "--tags", "team=ml"))
    assert created["id"].endswith("/resourceGroups/g-verbs")
    assert created["tags"] == {"team": "ml"}
    assert ok(cli("group", "show", "--name", "g-verbs"))["name"] == "g-verbs"
    names = ok(cli("group", "list", "--query", "[].name"))
    assert "g-verbs" in names
    ok(cli("group", "delete", "-n", "g-verbs", "--yes"))
    fails(cli("group", "show", "-n", "g-verbs"), "ResourceNotFound", "basin group create")


def test_workspace_create_makes_dependent_resources(cli: Any) -> None:
    ok(cli("group", "create", "-n", "rg-dep"))
    ws = ok(cli("workspace", "create", "-n", "ws-dep", "-g", "rg-dep", "--description", "d"))
    assert ws["id"].endswith(
        "/resourceGroups/rg-dep/providers/Microsoft.MachineLearningServices/workspaces/ws-dep"
    )
    kinds = {
        "storage_account": "/providers/Microsoft.Storage/storageAccounts/",
        "container_registry": "/providers/Microsoft.ContainerRegistry/registries/",
        "key_vault": "/providers/Microsoft.KeyVault/vaults/",
        "application_insights": "/providers/Microsoft.Insights/components/",
    }
    for field, fragment in kinds.items():
        assert fragment in ws[field], field
    account_name = ws["storage_account"].rsplit("/", 1)[1]
    account = ok(cli("storage", "account", "show", "-n", account_name, "-g", "rg-dep"))
    assert account["id"] == ws["storage_account"]
    assert account["primaryEndpoints"]["blob"].startswith("https://127.0.0.1:")
    shown = ok(cli("workspace", "show", "-n", "ws-dep", "-g", "rg-dep"))
    assert shown["description"] == "d" and shown["storage_account"] == ws["storage_account"]


def test_workspace_create_checks_its_fields_as_azure_ai_ml_loads_them(
    cli: Any, tmp_path: Path
) -> None:
    # Flags, --set and files go through the same loader (load_workspace's checks), as az does.
    ok(cli("group", "create", "-n", "rg-ids"))
    by_flag = cli("workspace", "create", "-n", "ws-ids", "-g", "rg-ids", "--key-vault", "myvault")
    fails(by_flag, "'key_vault' must be a resource id", "/subscriptions/")
    path = tmp_path / "ws.yml"
    path.write_text("name: ws-from-file\n")
    by_set = cli(
        "workspace", "create", "-g", "rg-ids", "-f", str(path), "--set", "storage_account=st1"
    )
    fails(by_set, "'storage_account' must be a resource id")
    assert ok(cli("workspace", "list", "-g", "rg-ids")) == []  # nothing was made


def test_workspace_from_yaml_with_existing_resources(cli: Any, tmp_path: Path) -> None:
    ok(cli("group", "create", "-n", "rg-yaml"))
    account = ok(cli("storage", "account", "create", "-n", "yamlstore1", "-g", "rg-yaml"))
    spec = {
        "$schema": "https://azuremlschemas.azureedge.net/latest/workspace.schema.json",
        "name": "ws-yaml",
        "location": "local",
        "display_name": "From YAML",
        "description": "made from a file",
        "storage_account": account["id"],
        "tags": {"purpose": "tests"},
        "hbi_workspace": True,
        "public_network_access": "enabled",
        "image_build_compute": "cpu-cluster",
    }
    path = tmp_path / "ws.yml"
    path.write_text(yaml.safe_dump(spec))
    ws = ok(
        cli("workspace", "create", "-g", "rg-yaml", "--file", str(path), "--set", "tags.extra=yes")
    )
    assert ws["storage_account"] == account["id"]
    assert ws["display_name"] == "From YAML"
    assert ws["hbi_workspace"] is True
    assert ws["tags"] == {"purpose": "tests", "extra": "yes"}
    assert ws["public_network_access"] == "Enabled"
    # only the resources it was not given were created: still exactly one storage account here
    assert len(ok(cli("storage", "account", "list", "-g", "rg-yaml"))) == 1


def test_missing_dependent_resource_is_refused_and_nothing_is_made(
    cli: Any, tmp_path: Path
) -> None:
    ok(cli("group", "create", "-n", "rg-miss"))
    sub = ok(cli("group", "show", "-n", "rg-miss"))["id"].split("/")[2]
    missing = f"/subscriptions/{sub}/resourceGroups/rg-miss/providers/Microsoft.KeyVault/vaults/nosuchvault"
    fails(
        cli("workspace", "create", "-n", "ws-miss", "-g", "rg-miss", "--key-vault", missing),
        "nosuchvault",
        "does not exist",
    )
    wrong_kind = f"/subscriptions/{sub}/resourceGroups/rg-miss/providers/Microsoft.Storage/storageAccounts/x1y"
    fails(
        cli("workspace", "create", "-n", "ws-miss", "-g", "rg-miss", "--key-vault", wrong_kind),
        "key_vault",
        "Microsoft.KeyVault/vaults",
    )
    fails(cli("workspace", "show", "-n", "ws-miss", "-g", "rg-miss"), "ResourceNotFound")
    # nothing half-made: no storage account or other dependent was left behind
    assert ok(cli("storage", "account", "list", "-g", "rg-miss")) == []


def test_workspace_list_update_and_output_formats(cli: Any) -> None:
    ok(cli("group", "create", "-n", "rg-list"))
    ok(cli("workspace", "create", "-n", "ws-l1", "-g", "rg-list"))
    ok(cli("workspace", "create", "-n", "ws-l2", "-g", "rg-list"))
    assert sorted(ok(cli("workspace", "list", "-g", "rg-list", "--query", "[].name"))) == [
        "ws-l1",
        "ws-l2",
    ]
    everywhere = ok(cli("workspace", "list", "--query", "[].name"))
    assert {"ws-l1", "ws-l2"} <= set(everywhere)

    updated = ok(
        cli(
            "workspace", "update", "-n", "ws-l1", "-g", "rg-list",
            "--description", "new words", "--display-name", "Nice", "--tags", "a=1", "b=2",
            "--public-network-access", "Disabled", "--set", "image_build_compute=cc",
        )
    )  # fmt: skip
    assert updated["description"] == "new words"
    assert updated["display_name"] == "Nice"
    assert updated["tags"] == {"a": "1", "b": "2"}
    assert updated["public_network_access"] == "Disabled"
    assert updated["image_build_compute"] == "cc"

    as_yaml = cli("workspace", "show", "-n", "ws-l1", "-g", "rg-list", "-o", "yaml")
    assert yaml.safe_load(as_yaml.out)["description"] == "new words"
    table = cli("workspace", "list", "-g", "rg-list", "-o", "table")
    assert table.code == 0 and "ws-l1" in table.out and "ws-l2" in table.out and "name" in table.out
    tsv = cli(
        "workspace",
        "show",
        "-n",
        "ws-l1",
        "-g",
        "rg-list",
        "--query",
        "[name, description]",
        "-o",
        "tsv",
    )
    assert tsv.out.strip() == "ws-l1\tnew words"


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ("hbi_workspace=true", "hbi_workspace"),
        ("customer_managed_key.key_uri=https://kv/keys/k", "customer_managed_key"),
        (
            "storage_account=/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/z",
            "storage_account",
        ),
        (
            "key_vault=/subscriptions/x/resourceGroups/y/providers/Microsoft.KeyVault/vaults/z",
            "key_vault",
        ),
    ],
)
def test_immutable_fields_are_refused_and_change_nothing(
    cli: Any, override: str, field: str
) -> None:
    ok(cli("group", "create", "-n", "rg-imm"))
    if cli("workspace", "show", "-n", "ws-imm", "-g", "rg-imm").code != 0:
        ok(cli("workspace", "create", "-n", "ws-imm", "-g", "rg-imm"))
    before = ok(cli("workspace", "show", "-n", "ws-imm", "-g", "rg-imm"))
    fails(
        cli(
            "workspace",
            "update",
            "-n",
            "ws-imm",
            "-g",
            "rg-imm",
            "--description",
            "x",
            "--set",
            override,
        ),
        "ImmutableField",
        field,
    )
    after = ok(cli("workspace", "show", "-n", "ws-imm", "-g", "rg-imm"))
    assert after == before


def test_soft_delete_recover_and_purge(cli: Any) -> None:
    ok(cli("group", "create", "-n", "rg-del"))
    ws = ok(cli("workspace", "create", "-n", "ws-del", "-g", "rg-del"))
    ok(cli("workspace", "delete", "-n", "ws-del", "-g", "rg-del", "-y"))
    assert ok(cli("workspace", "list", "-g", "rg-del")) == []
    deleted = ok(cli("workspace", "list", "-g", "rg-del", "--deleted"))
    assert [w["name"] for w in deleted] == ["ws-del"] and deleted[0]["deleted_at"]
    fails(cli("workspace", "show", "-n", "ws-del", "-g", "rg-del"), "soft-deleted", "recover")
    fails(
        cli("workspace", "create", "-n", "ws-del", "-g", "rg-del"),
        "soft-deleted",
        "--permanently-delete",
    )
    # the dependent resources are untouched by a workspace delete
    account = ws["storage_account"].rsplit("/", 1)[1]
    ok(cli("storage", "account", "show", "-n", account, "-g", "rg-del"))

    recovered = ok(cli("workspace", "recover", "-n", "ws-del", "-g", "rg-del"))
    assert recovered["id"] == ws["id"] and "deleted_at" not in recovered
    ok(cli("workspace", "delete", "-n", "ws-del", "-g", "rg-del", "--permanently-delete", "-y"))
    assert ok(cli("workspace", "list", "-g", "rg-del", "--deleted")) == []
    ok(cli("storage", "account", "show", "-n", account, "-g", "rg-del"))
    ok(cli("workspace", "create", "-n", "ws-del", "-g", "rg-del"))  # the name is free again


def test_group_delete_deletes_everything_in_it(cli: Any) -> None:
    ok(cli("group", "create", "-n", "rg-cascade"))
    ws = ok(cli("workspace", "create", "-n", "ws-c", "-g", "rg-cascade"))
    ok(cli("group", "delete", "-n", "rg-cascade", "-y"))
    ok(cli("group", "create", "-n", "rg-cascade"))
    assert ok(cli("workspace", "list", "-g", "rg-cascade")) == []
    account = ws["storage_account"].rsplit("/", 1)[1]
    fails(cli("storage", "account", "show", "-n", account, "-g", "rg-cascade"), "ResourceNotFound")


def test_keys_sync_after_storage_key_renewal(cli: Any) -> None:
    ok(cli("group", "create", "-n", "rg-keys"))
    ws = ok(cli("workspace", "create", "-n", "ws-keys", "-g", "rg-keys"))
    account = ws["storage_account"].rsplit("/", 1)[1]
    keys = ok(cli("storage", "account", "keys", "list", "--account-name", account, "-g", "rg-keys"))
    assert [k["keyName"] for k in keys] == ["key1", "key2"]
    cached = ok(cli("workspace", "list-keys", "-n", "ws-keys", "-g", "rg-keys"))
    assert cached["user_storage_key"] == keys[0]["value"]

    renewed = ok(
        cli("storage", "account", "keys", "renew", "-n", account, "-g", "rg-keys", "--key", "key1")
    )
    assert renewed[0]["value"] != keys[0]["value"] and renewed[1]["value"] == keys[1]["value"]
    stale = ok(cli("workspace", "list-keys", "-n", "ws-keys", "-g", "rg-keys"))
    assert stale["user_storage_key"] == keys[0]["value"]
    ok(cli("workspace", "sync-keys", "-n", "ws-keys", "-g", "rg-keys"))
    synced = ok(cli("workspace", "list-keys", "-n", "ws-keys", "-g", "rg-keys"))
    assert synced["user_storage_key"] == renewed[0]["value"]
    fails(
        cli("storage", "account", "keys", "renew", "-n", account, "-g", "rg-keys", "--key", "key3"),
        "key1, key2",
    )


def test_configure_defaults(cli: Any) -> None:
    ok(cli("group", "create", "-n", "rg-def"))
    ok(cli("configure", "--defaults", "group=rg-def"))
    try:
        ok(cli("workspace", "create", "-n", "ws-def"))
        ok(cli("configure", "--defaults", "workspace=ws-def"))
        assert ok(cli("workspace", "show"))["name"] == "ws-def"
        assert ok(cli("configure")) == {"group": "rg-def", "workspace": "ws-def"}
        fails(cli("configure", "--defaults", "colour=blue"), "group=<name>")
    finally:
        ok(cli("configure", "--defaults", "group=", "--defaults", "workspace="))
    fails(cli("workspace", "show"), "resource group is needed", "basin configure")


def test_bad_input_gets_clear_errors_and_changes_nothing(cli: Any, tmp_path: Path) -> None:
    ok(cli("group", "create", "-n", "rg-bad"))
    bad_yaml = tmp_path / "bad.yml"
    bad_yaml.write_text("name: ws-bad\ntags: [unclosed\n")
    fails(cli("workspace", "create", "-g", "rg-bad", "-f", str(bad_yaml)), "not valid YAML", "line")
    unknown = tmp_path / "unknown.yml"
    unknown.write_text("name: ws-bad\ncolour: blue\n")
    fails(
        cli("workspace", "create", "-g", "rg-bad", "-f", str(unknown)),
        "'colour' is not a known field",
        "Known fields",
    )
    wrong_value = tmp_path / "value.yml"
    wrong_value.write_text("name: ws-bad\npublic_network_access: sometimes\n")
    fails(
        cli("workspace", "create", "-g", "rg-bad", "-f", str(wrong_value)),
        "public_network_access",
        "Enabled",
        "Disabled",
    )
    fails(
        cli("workspace", "create", "-g", "rg-bad", "-f", str(tmp_path / "nope.yml")),
        "does not exist",
    )
    fails(
        cli("workspace", "create", "-n", "-bad-", "-g", "rg-bad"),
        "not a valid workspace name",
        "3-33",
    )
    fails(cli("workspace", "create", "-n", "ws-bad", "-g", "no-such-group"), "could not be found")
    fails(cli("group", "create", "-n", "bad/name"), "not a valid resource group name")
    assert ok(cli("workspace", "list", "-g", "rg-bad")) == []
    usage = cli("workspace", "list", "-o", "xml")
    assert usage.code == 2 and "xml" in usage.err


def test_credentials_are_required(server: ServerProcess, tmp_path: Path) -> None:
    from tests.conftest import run_cli

    empty_home = tmp_path / "nohome"
    fails(run_cli(empty_home, "group", "list"), "No basin server address found")
    fails(
        run_cli(empty_home, "--server", server.url, "--token", "basin_wrong", "group", "list"),
        "AuthenticationFailed",
    )
    result = run_cli(empty_home, "--server", server.url, "--token", server.token, "group", "list")
    assert result.code == 0
    import httpx

    response = httpx.get(f"{server.url}/subscriptions/x/resourceGroups")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "AuthenticationFailed"
    wrong = httpx.get(f"{server.url}/basin/info", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and "nope" not in wrong.text


def test_the_installed_command_runs_as_a_process(server: ServerProcess) -> None:
    """The console script itself (not the in-process CLI) and its exit codes."""
    basin = Path(sys.executable).with_name("basin")
    env = server.env()
    done = subprocess.run(
        [str(basin), "group", "create", "-n", "rg-proc"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["name"] == "rg-proc"
    missing = subprocess.run(
        [str(basin), "group", "show", "-n", "rg-none"], env=env, capture_output=True, text=True
    )
    assert missing.returncode == 1
    assert missing.stderr.startswith("ERROR: (ResourceNotFound)")
    assert server.token not in missing.stderr + missing.stdout
