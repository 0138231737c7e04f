"""The model registry and workspace connections through the CLI and SDK against a real server."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from basin import MLClient, load_model
from basin.entities import Model, PatTokenConfiguration, WorkspaceConnection
from basin.errors import ConflictError, NotFoundError, ValidationError
from basin.services.assets import parse_reference
from basin.testing import ServerProcess
from tests.e2e.test_workspaces_cli import fails, ok

WS = ("-g", "rg-assets", "-w", "ws-assets")


@pytest.fixture(scope="module")
def workspace(server: ServerProcess) -> None:
    from tests.conftest import run_cli

    assert run_cli(server.home, "group", "create", "-n", "rg-assets").code == 0
    assert (
        run_cli(server.home, "workspace", "create", "-n", "ws-assets", "-g", "rg-assets").code == 0
    )


@pytest.fixture
def model_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    (folder / "nested").mkdir(parents=True)
    (folder / "sklearn_regression_model.pkl").write_bytes(b"\x80\x04pretend-pickle")
    (folder / "nested" / "vocab.txt").write_text("a\nb\n")
    return folder


def test_model_versions_from_a_folder(
    cli: Any, workspace: None, model_folder: Path, tmp_path: Path
) -> None:
    first = ok(cli("model", "create", "-n", "regressor", "--path", str(model_folder), *WS))
    assert first["version"] == "1" and first["type"] == "custom_model"
    assert first["path"].startswith("azureml://datastores/workspaceblobstore/paths/LocalUpload/")
    assert first["path"].endswith("/model")
    second = ok(cli("model", "create", "-n", "regressor", "--path", str(model_folder), *WS))
    assert second["version"] == "2" and second["path"] == first["path"]  # same content, one upload
    fails(
        cli("model", "create", "-n", "regressor", "-v", "2", "--path", str(model_folder), *WS),
        "already exists",
        "cannot change",
    )
    explicit = ok(
        cli("model", "create", "-n", "regressor", "-v", "10", "--path", str(model_folder), *WS)
    )
    assert explicit["version"] == "10"
    assert (
        ok(cli("model", "create", "-n", "regressor", "--path", str(model_folder), *WS))["version"]
        == "11"
    )

    assert ok(cli("model", "show", "-n", "regressor", "-l", "latest", *WS))["version"] == "11"
    versions = ok(cli("model", "list", "-n", "regressor", *WS, "--query", "[].version"))
    assert sorted(versions, key=int) == ["1", "2", "10", "11"]

    target = tmp_path / "downloads"
    result = cli("model", "download", "-n", "regressor", "-v", "1", "-p", str(target), *WS)
    assert result.code == 0, result.err
    # the layout Azure ML gives AZUREML_MODEL_DIR: the uploaded folder's name is kept
    assert (
        target / "regressor" / "model" / "sklearn_regression_model.pkl"
    ).read_bytes() == b"\x80\x04pretend-pickle"
    assert (target / "regressor" / "model" / "nested" / "vocab.txt").read_text() == "a\nb\n"

    ok(cli("model", "archive", "-n", "regressor", "-v", "11", *WS))
    assert ok(cli("model", "show", "-n", "regressor", "-l", "latest", *WS))["version"] != "11"
    assert "11" not in ok(cli("model", "list", "-n", "regressor", *WS, "--query", "[].version"))
    assert ok(
        cli("model", "list", "-n", "regressor", "--archived-only", *WS, "--query", "[].version")
    ) == ["11"]
    ok(cli("model", "restore", "-n", "regressor", "-v", "11", *WS))
    assert ok(cli("model", "show", "-n", "regressor", "-l", "latest", *WS))["version"] == "11"


def test_model_from_yaml_and_sdk(
    server: ServerProcess,
    cli: Any,
    workspace: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    weights = tmp_path / "project" / "weights.bin"
    weights.parent.mkdir()
    weights.write_bytes(b"w" * 1000)
    spec = tmp_path / "project" / "model.yml"
    spec.write_text(
        "$schema: https://azuremlschemas.azureedge.net/latest/model.schema.json\n"
        "name: yaml-model\nversion: 3\npath: weights.bin\ntype: mlflow_model\n"
        "description: from a file\ntags: {stage: test}\n"
    )
    made = ok(cli("model", "create", "-f", str(spec), "--set", "description=overridden", *WS))
    assert made["version"] == "3" and made["type"] == "mlflow_model"
    assert made["description"] == "overridden" and made["path"].endswith("/weights.bin")

    monkeypatch.setenv("BASIN_HOME", str(server.home))
    with MLClient(None, None, "rg-assets", "ws-assets") as client:
        model = client.models.create_or_update(Model(name="sdk-model", path=str(weights)))
        assert model.version == "1"
        loaded = load_model(spec)
        assert loaded.path == str(weights)
        assert client.models.get("yaml-model", "3").description == "overridden"
        with pytest.raises(NotFoundError):
            client.models.get("sdk-model", "9")
        with pytest.raises(ValidationError, match="does not exist"):
            client.models.create_or_update(Model(name="ghost", path=str(tmp_path / "nope")))
        with pytest.raises(ValidationError, match="not a valid asset name"):
            client.models.create_or_update(Model(name="bad/name", path=str(weights)))
        with pytest.raises(ConflictError):
            client.models.create_or_update(Model(name="yaml-model", version="3", path=str(weights)))
        names = {m.name for m in client.models.list()}
        assert {"yaml-model", "sdk-model"} <= names


def test_upload_refuses_path_traversal_and_bad_hashes(
    server: ServerProcess, workspace: None
) -> None:
    sub = server.credentials["subscription_id"]
    base = f"{server.url}/subscriptions/{sub}/resourceGroups/rg-assets/providers/Microsoft.MachineLearningServices/workspaces/ws-assets/uploads/"
    headers = {"Authorization": f"Bearer {server.token}"}
    evil = io.BytesIO()
    with tarfile.open(fileobj=evil, mode="w") as tar:
        info = tarfile.TarInfo("../../escape.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"bad"))
    response = httpx.put(
        base + "a" * 64, params={"name": "x"}, content=evil.getvalue(), headers=headers
    )
    assert response.status_code == 400 and "escape" in response.json()["error"]["message"]
    good = io.BytesIO()
    with tarfile.open(fileobj=good, mode="w") as tar:
        info = tarfile.TarInfo("ok.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"ok"))
    mismatch = httpx.put(
        base + "b" * 64, params={"name": "x"}, content=good.getvalue(), headers=headers
    )
    assert mismatch.status_code == 400 and "does not match" in mismatch.json()["error"]["message"]
    assert httpx.get(base + "b" * 64, headers=headers).status_code == 404  # nothing was completed
    not_hex = httpx.put(base + "zz", params={"name": "x"}, content=good.getvalue(), headers=headers)
    assert not_hex.status_code == 400


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("azureml:m:3", ("m", "3", None)),
        ("azureml:m@latest", ("m", None, "latest")),
        ("m:1", ("m", "1", None)),
        ("azureml:m", ("m", None, None)),
    ],
)
def test_references(reference: str, expected: tuple[str, str | None, str | None]) -> None:
    assert parse_reference(reference, "model") == expected


def test_bad_references() -> None:
    with pytest.raises(ValidationError, match="only @latest"):
        parse_reference("azureml:m@best", "model")
    with pytest.raises(ValidationError):
        parse_reference("azureml:a:b:c", "model")


def test_connections_keep_their_secret(
    server: ServerProcess,
    cli: Any,
    workspace: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pat = "pat-SECRET-0123456789abcdef"
    spec = tmp_path / "conn.yml"
    spec.write_text(
        "$schema: https://azuremlschemas.azureedge.net/latest/connection.schema.json\n"
        "name: private-feed\ntype: python_feed\ntarget: https://pkgs.example.test/feed/\n"
        "credentials:\n  type: pat\n"
    )
    created = cli("connection", "create", "-f", str(spec), "--set", f"credentials.pat={pat}", *WS)
    assert created.code == 0, created.err
    assert pat not in created.out
    assert created.json()["credentials"] == {"type": "pat"}
    shown = cli("connection", "show", "-n", "private-feed", *WS)
    listed = cli("connection", "list", "--type", "python_feed", *WS)
    assert pat not in shown.out + listed.out
    assert [c["name"] for c in listed.json()] == ["private-feed"]

    monkeypatch.setenv("BASIN_HOME", str(server.home))
    with MLClient(None, None, "rg-assets", "ws-assets") as client:
        made = client.connections.create_or_update(
            WorkspaceConnection(
                name="sdk-feed",
                type="python_feed",
                target="https://other.test/simple/",
                credentials=PatTokenConfiguration(pat=pat),
            )
        )
        assert made.credentials.type == "pat" and getattr(made.credentials, "pat", None) is None
        rest = client.connections.create_or_update(
            WorkspaceConnection.model_validate(
                {
                    "name": "v1-feed",
                    "type": "PythonFeed",
                    "target": "https://v1.test/",
                    "credentials": {"type": "pat", "pat": pat},
                }
            )
        )
        assert rest.type.value == "python_feed"
        assert json.dumps([c.to_dict() for c in client.connections.list()]).count(pat) == 0
        client.connections.delete("sdk-feed")
        with pytest.raises(NotFoundError):
            client.connections.get("sdk-feed")
    fails(cli("connection", "create", "-f", str(tmp_path / "missing.yml"), *WS), "does not exist")
    bad = tmp_path / "bad.yml"
    bad.write_text("name: x1\ntype: carrier_pigeon\ntarget: t\n")
    fails(cli("connection", "create", "-f", str(bad), *WS), "type", "python_feed")
    # nothing secret in the server's log or its database file
    assert pat not in "".join(server.output)
    assert pat.encode() not in (server.home / "basin.db").read_bytes()
    for wal in server.home.glob("basin.db-wal"):
        assert pat.encode() not in wal.read_bytes()


def test_one_feed_connection_per_feed_url(cli: Any, workspace: None, tmp_path: Path) -> None:
    def feed(name: str, target: str, pat: str = "pat-0123456789") -> Any:
        spec = tmp_path / f"{name}.yml"
        spec.write_text(f"name: {name}\ntype: python_feed\ntarget: {target}\n")
        return cli("connection", "create", "-f", str(spec), "--set", f"credentials.pat={pat}", *WS)

    ok(feed("feed-a", "https://pkgs.dup.test/org/feed/"))
    ok(feed("feed-a", "https://pkgs.dup.test/org/feed/", "pat-rotated-0123"))  # an update
    ok(feed("feed-b", "https://pkgs.dup.test/org/feed/sub/"))  # under it: the longest match wins
    # the same URL spelled differently: uv would get two credentials for one feed
    fails(
        feed("feed-c", "HTTPS://Pkgs.Dup.Test:443/org/feed"),
        "Connection 'feed-a' already holds the credentials for the feed",
        "update that connection",
    )
    fails(feed("feed-d", "ftp://pkgs.dup.test/"), "must be an http(s) URL")
    leaked = feed("feed-e", "https://me:hunter2-secret@pkgs.dup.test/x/")
    fails(leaked, "must not carry credentials in its URL")
    assert "hunter2-secret" not in leaked.out + leaked.err
    names = [c["name"] for c in cli("connection", "list", *WS).json()]
    assert "feed-a" in names and "feed-b" in names
    assert not {"feed-c", "feed-d", "feed-e"} & set(names)
