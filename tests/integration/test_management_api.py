"""The management API in-process (ASGI): auth, error shape, public network access."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from basin.keyvault import SecretVault
from basin.server.app import create_app
from basin.services.installation import ensure_admin, ensure_installation, grant_admin_owner
from basin.services.platform import Platform
from basin.store import open_store


@dataclass
class Api:
    app: FastAPI
    sub: str
    token: str

    def call(
        self,
        method: str,
        path: str,
        *,
        host: str = "127.0.0.1",
        token: str | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """One request, as if it came from ``host``."""
        headers = {"Authorization": f"Bearer {self.token if token is None else token}"}
        headers.update(kwargs.pop("headers", {}))

        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app, client=(host, 5000))
            async with httpx.AsyncClient(transport=transport, base_url="http://basin") as client:
                return await client.request(method, path, headers=headers, **kwargs)

        return asyncio.run(send())


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    store = open_store(f"sqlite:///{tmp_path / 'b.db'}")
    installation = ensure_installation(store)
    token = ensure_admin(store, tmp_path / "credentials.json")
    assert token is not None
    platform = Platform(store, SecretVault(b"k" * 32), installation, blob_endpoint="https://b")
    grant_admin_owner(platform)
    yield Api(
        create_app(platform, trusted_networks=["10.20.0.0/16"]), installation.subscription_id, token
    )
    store.close()


def test_errors_share_one_shape(api: Api) -> None:
    sub = api.sub
    missing = api.call("GET", f"/subscriptions/{sub}/resourceGroups/nope")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "ResourceNotFound"
    other_sub = api.call("GET", "/subscriptions/other/resourceGroups")
    assert other_sub.status_code == 404 and "other" in other_sub.json()["error"]["message"]
    no_route = api.call("GET", "/no/such/route")
    assert no_route.status_code == 404 and no_route.json()["error"]["code"] == "NotFound"
    ws_path = f"/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws1"
    api.call("PUT", f"/subscriptions/{sub}/resourceGroups/rg", json={})
    bad_body = api.call("PUT", ws_path, json={"colour": "red"})
    assert bad_body.status_code == 400
    assert bad_body.json()["error"]["code"] == "ValidationError"
    assert "'colour' is not a known field" in bad_body.json()["error"]["message"]
    not_json = api.call(
        "PUT", ws_path, content=b"{not json", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 400 and not_json.json()["error"]["code"] == "ValidationError"


def test_every_call_needs_a_credential(api: Api) -> None:
    assert api.call("GET", "/basin/health", token="").status_code == 200
    for header in ("", "Bearer wrong", "Basic x"):
        response = api.call(
            "GET", f"/subscriptions/{api.sub}/resourceGroups", headers={"Authorization": header}
        )
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "AuthenticationFailed"
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "wrong" not in response.text


def test_public_network_access_disabled(api: Api) -> None:
    sub = api.sub
    ws_path = f"/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/closed"
    api.call("PUT", f"/subscriptions/{sub}/resourceGroups/rg", json={})
    created = api.call("PUT", ws_path, json={"public_network_access": "Disabled"})
    assert created.status_code == 201, created.text
    for host, allowed in (
        ("127.0.0.1", True),
        ("10.20.3.4", True),
        ("10.21.0.1", False),
        ("203.0.113.9", False),
    ):
        response = api.call("GET", ws_path, host=host)
        assert (response.status_code == 200) is allowed, (host, response.text)
        if not allowed:
            assert response.status_code == 403
            assert "public network access disabled" in response.json()["error"]["message"]
            assert (
                api.call("PATCH", ws_path, host=host, json={"description": "x"}).status_code == 403
            )
    assert "description" not in api.call("GET", ws_path).json()
    # re-enabling from a private address lets everyone in
    assert (
        api.call(
            "PATCH", ws_path, host="10.20.0.7", json={"public_network_access": "Enabled"}
        ).status_code
        == 200
    )
    assert api.call("GET", ws_path, host="203.0.113.9").status_code == 200


def test_the_msi_endpoint_answers_trusted_networks_only(api: Api) -> None:
    """Replicas on other nodes (a Ray cluster) reach the MSI endpoint from a trusted network."""
    query = "/basin/msi/token?resource=https://storage.azure.com/&api-version=2017-09-01"
    refused = api.call("GET", query, host="203.0.113.9", token="")
    assert refused.status_code == 403
    assert "trusted networks" in refused.json()["error"]["message"]
    for host in ("127.0.0.1", "10.20.3.4"):  # loopback and the fixture's trusted 10.20.0.0/16
        answered = api.call("GET", query, host=host, token="", headers={"secret": "wrong"})
        assert answered.status_code != 403, answered.text  # the secret decides from here on


def test_artifacts_go_only_to_holders_of_the_key_on_trusted_networks(
    api: Api, tmp_path: Path
) -> None:
    import io
    import tarfile
    from types import SimpleNamespace

    from basin.compute import ARTIFACT_KEY_HEADER
    from basin.services.artifacts import ArtifactShelf

    env = tmp_path / "envs" / "abc"
    (env / "bin").mkdir(parents=True)
    (env / "bin" / "tool").write_text("#!/bin/sh\n")
    (env / "bin" / "tool").chmod(0o755)
    (env / "bin" / "python").symlink_to("/usr/bin/python3")
    shelf = ArtifactShelf()
    shelf.put("env-abc", env)
    api.app.state.serving = SimpleNamespace(artifacts=shelf)
    key = {ARTIFACT_KEY_HEADER: shelf.key}

    sent = api.call("GET", "/basin/artifacts/env-abc", host="10.20.3.4", token="", headers=key)
    assert sent.status_code == 200
    with tarfile.open(fileobj=io.BytesIO(sent.content)) as archive:
        members = {m.name: m for m in archive.getmembers()}
    assert (
        members["abc/bin/python"].issym()
        and members["abc/bin/python"].linkname == "/usr/bin/python3"
    )
    assert members["abc/bin/tool"].mode & 0o111  # still executable
    wrong = {ARTIFACT_KEY_HEADER: "not-the-key"}
    assert api.call("GET", "/basin/artifacts/env-abc", token="", headers=wrong).status_code == 404
    assert api.call("GET", "/basin/artifacts/env-abc", token="").status_code == 404
    assert api.call("GET", "/basin/artifacts/other", token="", headers=key).status_code == 404
    far = api.call("GET", "/basin/artifacts/env-abc", host="203.0.113.9", token="", headers=key)
    assert far.status_code == 403


def test_bodies_tags_and_text_are_capped_and_nothing_is_stored(api: Api) -> None:
    """A 300 MiB tag value was once stored (and every listing then crawled): Azure's limits."""
    group = f"/subscriptions/{api.sub}/resourceGroups/capped"
    cases = {
        "value": {"tags": {"a": "x" * 257}},
        "count": {"tags": {f"t{i}": "v" for i in range(51)}},
        "name": {"tags": {"n" * 513: "v"}},
        "text": {"location": "x" * (200 << 10)},
    }
    for case, body in cases.items():
        refused = api.call("PUT", group, json=body)
        assert refused.status_code == 400, (case, refused.text)
        assert refused.json()["error"]["code"] == "ValidationError"
        assert len(refused.text) < 500  # the message names the field, it does not echo the value
    huge = api.call("PUT", group, json={"tags": {"a": "x" * (5 << 20)}})
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "PayloadTooLarge"

    async def chunks() -> Any:
        for _ in range(5):
            yield b" " * (1 << 20)

    streamed = api.call(
        "PUT", group, content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413
    assert api.call("GET", group).status_code == 404  # nothing was stored
    ok = api.call("PUT", group, json={"tags": {"a": "x" * 256}})
    assert ok.status_code in (200, 201), ok.text


def test_a_long_description_is_refused(api: Api) -> None:
    api.call("PUT", f"/subscriptions/{api.sub}/resourceGroups/rg", json={})
    ws = f"/subscriptions/{api.sub}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws-long"
    refused = api.call("PUT", ws, json={"description": "d" * 9000})
    assert refused.status_code == 400 and "description" in refused.json()["error"]["message"]
    assert api.call("GET", ws).status_code == 404
