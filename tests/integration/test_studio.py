"""The studio in process (ASGI): sign-in, sessions, CSRF, pages, errors and secrets.

The browser journey (real Chromium, real server, real replicas) is tests/e2e/test_studio_browser.py;
these tests cover what a browser cannot easily show: cookie flags, refused forgeries, headers.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from uv import find_uv_bin

from basin.envbuild import EnvironmentBuilder
from basin.errors import BuildFailedError
from basin.server.app import create_app
from basin.services.builds import BuildManager
from basin.services.platform import Platform
from basin.testing.platform import platform_under_test

ARM = "/providers/Microsoft.MachineLearningServices/workspaces"


@dataclass
class Studio:
    app: FastAPI
    platform: Platform
    sub: str
    token: str
    loop: asyncio.AbstractEventLoop

    def client(self, host: str = "127.0.0.1") -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, client=(host, 5000))
        return httpx.AsyncClient(transport=transport, base_url="http://basin.test")

    def run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    async def call_api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async with self.client() as client:
            return await client.request(
                method, path, headers={"Authorization": f"Bearer {self.token}"}, **kwargs
            )

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        answer: httpx.Response = self.run(self.call_api(method, path, **kwargs))
        return answer


@pytest.fixture
def studio(tmp_path: Path) -> Iterator[Studio]:
    with platform_under_test(tmp_path) as under_test:
        loop = asyncio.new_event_loop()
        platform = under_test.platform
        yield Studio(
            create_app(platform), platform, platform.subscription_id, under_test.admin_token, loop
        )
        loop.close()


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert found, html
    return found[1]


async def _sign_in(client: httpx.AsyncClient, **fields: str) -> httpx.Response:
    form = await client.get("/studio/signin")
    data = {"csrf_token": _hidden(form.text, "csrf_token"), **fields}
    return await client.post("/studio/signin", data=data)


async def _signed_in(studio: Studio, client: httpx.AsyncClient) -> str:
    """Sign ``client`` in; the session's CSRF token (from a page)."""
    answer = await _sign_in(client, token=studio.token)
    assert answer.status_code == 303, answer.text
    page = await client.get("/studio/workspaces")
    return _hidden(page.text, "csrf_token")


def _workspace(studio: Studio, name: str = "ws1", group: str = "rg") -> str:
    studio.api("PUT", f"/subscriptions/{studio.sub}/resourceGroups/{group}", json={})
    path = f"/subscriptions/{studio.sub}/resourceGroups/{group}{ARM}/{name}"
    assert studio.api("PUT", path, json={}).status_code == 201
    return path


def test_pages_need_a_session_and_sign_in_sets_a_strict_http_only_cookie(studio: Studio) -> None:
    async def journey() -> None:
        async with studio.client() as client:
            away = await client.get("/studio/workspaces/rg/ws1")
            assert away.status_code == 303
            assert away.headers["location"] == "/studio/signin?next=/studio/workspaces/rg/ws1"
            answer = await _sign_in(client, token=studio.token, next="/studio/workspaces/rg/ws1")
            assert answer.status_code == 303
            assert answer.headers["location"] == "/studio/workspaces/rg/ws1"
            cookie = next(
                v
                for k, v in answer.headers.multi_items()
                if k == "set-cookie" and "basin_studio=" in v
            )
            assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/studio" in cookie
            assert studio.token not in cookie
            page = await client.get("/studio/workspaces")
            assert page.status_code == 200 and "Signed in as" in page.text
            assert studio.token not in page.text
            # An htmx poll after the session ended is sent to the sign-in page.
            csrf = _hidden(page.text, "csrf_token")
            out = await client.post("/studio/signout", data={"csrf_token": csrf})
            assert out.status_code == 303
            poll = await client.get("/studio/workspaces", headers={"HX-Request": "true"})
            assert poll.status_code == 401 and poll.headers["hx-redirect"].startswith(
                "/studio/signin"
            )

    studio.run(journey())


def test_a_wrong_token_is_refused_with_the_cli_words_and_never_echoed(studio: Studio) -> None:
    async def journey() -> None:
        async with studio.client() as client:
            wrong = "not-a-real-token-" + "x" * 20
            answer = await _sign_in(client, token=wrong)
            assert answer.status_code == 401
            assert (
                "ERROR:</strong> (AuthenticationFailed) The credential is not valid "
                "(unknown or revoked token)." in answer.text
            )
            assert wrong not in answer.text
            assert "basin_studio=" not in answer.headers.get("set-cookie", "")
            # A sign-in without the form's own CSRF token (login CSRF) is refused too.
            forged = await client.post("/studio/signin", data={"token": studio.token})
            assert forged.status_code == 403 and "CSRF" in forged.text

    studio.run(journey())


def test_a_service_principal_signs_in_with_its_app_id_and_secret(studio: Studio) -> None:
    created = studio.api("POST", "/basin/principals", json={"displayName": "ci-bot"}).json()
    app_id, secret = created["appId"], created["password"]

    async def journey() -> None:
        async with studio.client() as client:
            mismatch = await _sign_in(
                client, method="service_principal", client_id="other", client_secret=secret
            )
            assert mismatch.status_code == 401 and "does not belong" in mismatch.text
            assert secret not in mismatch.text
            ok = await _sign_in(
                client, method="service_principal", client_id=app_id, client_secret=secret
            )
            assert ok.status_code == 303
            page = await client.get("/studio/workspaces")
            assert "ci-bot" in page.text

    studio.run(journey())


def test_changes_need_the_session_csrf_token_and_the_same_origin(studio: Studio) -> None:
    path = _workspace(studio)
    assert studio.api("DELETE", path).status_code == 200

    async def journey() -> None:
        async with studio.client() as client:
            csrf = await _signed_in(studio, client)
            listing = await client.get("/studio/workspaces")
            assert "Soft-deleted" in listing.text and "Recover" in listing.text
            recover = "/studio/workspaces/rg/ws1/recover"
            missing = await client.post(recover)
            assert missing.status_code == 403
            assert "CSRF token is missing or wrong" in missing.text
            wrong = await client.post(recover, data={"csrf_token": "guess"})
            assert wrong.status_code == 403
            elsewhere = await client.post(
                recover, data={"csrf_token": csrf}, headers={"Origin": "http://evil.test"}
            )
            assert elsewhere.status_code == 403
            assert (await studio.call_api("GET", path)).status_code == 404  # still deleted
            done = await client.post(
                recover, data={"csrf_token": csrf}, headers={"Origin": "http://basin.test"}
            )
            assert (
                done.status_code == 303 and done.headers["location"] == "/studio/workspaces/rg/ws1"
            )
            assert (await studio.call_api("GET", path)).status_code == 200
            # htmx sends the token as a header.
            again = await client.post(recover, headers={"X-CSRF-Token": csrf, "HX-Request": "true"})
            assert again.status_code == 404
            assert "There is no soft-deleted workspace" in again.text

    studio.run(journey())


def test_workspace_pages_and_errors_in_the_cli_words(studio: Studio) -> None:
    path = _workspace(studio)
    connection = {
        "name": "feed",
        "type": "python_feed",
        "target": "https://pkgs.example.test/simple/",
        "credentials": {"type": "pat", "pat": "feed-pat-secret-value"},
    }
    assert studio.api("PUT", path + "/connections/feed", json=connection).status_code < 300

    async def journey() -> None:
        async with studio.client() as client:
            await _signed_in(studio, client)
            for suffix, expected in (
                ("", "Dependent resources"),
                ("/endpoints", "No online endpoints"),
                ("/models", "No models"),
                ("/environments", "No environments"),
                ("/connections", "https://pkgs.example.test/simple/"),
                ("/access", "Owner"),
            ):
                page = await client.get("/studio/workspaces/rg/ws1" + suffix)
                assert page.status_code == 200, (suffix, page.text)
                assert expected in page.text, suffix
                assert "feed-pat-secret-value" not in page.text
                assert studio.token not in page.text
                assert "default-src 'self'" in page.headers["content-security-policy"]
                assert page.headers["cache-control"] == "no-store"
            missing = await client.get("/studio/workspaces/rg/nope")
            assert missing.status_code == 404
            assert "ERROR:</strong> (ResourceNotFound) Workspace &#39;nope&#39;" in missing.text
            bad_name = await client.get("/studio/workspaces/rg/-bad-/endpoints")
            assert bad_name.status_code == 400 and "is not a valid workspace name" in bad_name.text
            no_page = await client.get("/studio/no/such/page")
            assert no_page.status_code == 404 and "There is no studio page" in no_page.text

    studio.run(journey())


def test_an_environment_being_built_polls_its_log_until_the_build_ends(
    studio: Studio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A build that runs until the test ends it (the builder itself is never called).
    pending: Future[Any] = Future()
    builds = BuildManager(EnvironmentBuilder(tmp_path / "envs", Path(find_uv_bin())))
    monkeypatch.setattr(builds, "submit", lambda _key, _work: pending)
    studio.platform.builds = builds
    path = _workspace(studio) + "/environments/env1/versions/1"
    assert studio.api("PUT", path, json={"image": "basin:minimal"}).status_code == 201
    assert studio.api("GET", path).json()["build_state"] == "Running"

    async def journey() -> None:
        async with studio.client() as client:
            await _signed_in(studio, client)
            base = "/studio/workspaces/rg/ws1/environments"
            listing = await client.get(base)
            assert 'href="/studio/workspaces/rg/ws1/environments/env1/versions/1"' in listing.text
            page = await client.get(base + "/env1/versions/1")
            assert page.status_code == 200 and "Known once the build succeeds" in page.text
            assert f'hx-get="{base}/env1/versions/1/log" hx-trigger="every 1s"' in page.text
            fragment = await client.get(
                base + "/env1/versions/1/log", headers={"HX-Request": "true"}
            )
            assert fragment.status_code == 200 and fragment.text.startswith('<section id="build"')
            assert "<html" not in fragment.text and 'hx-trigger="every 1s"' in fragment.text
            pending.set_exception(BuildFailedError("numpy==0 has no matching distribution"))
            ended = await client.get(base + "/env1/versions/1/log", headers={"HX-Request": "true"})
            assert "hx-trigger" not in ended.text  # the poll stops with the build
            assert "Failed" in ended.text and "numpy==0 has no matching distribution" in ended.text

    studio.run(journey())


def test_a_refused_traffic_change_shows_in_its_panel_and_changes_nothing(studio: Studio) -> None:
    path = _workspace(studio) + "/onlineEndpoints/ep1"
    assert studio.api("PUT", path, json={"auth_mode": "key"}).status_code == 200

    async def journey() -> None:
        async with studio.client() as client:
            csrf = await _signed_in(studio, client)
            answer = await client.post(
                "/studio/workspaces/rg/ws1/endpoints/ep1/traffic",
                data={"mirror:nope": "10"},
                headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
            )
            assert answer.status_code == 400
            assert answer.text.startswith('<div id="traffic-panel">')  # the panel, not a page
            assert (
                "ERROR:</strong> (ValidationError) mirror_traffic names deployment" in answer.text
            )
            bad = await client.post(
                "/studio/workspaces/rg/ws1/endpoints/ep1/traffic",
                data={"traffic:blue": "120"},
                headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
            )
            assert bad.status_code == 400 and "between 0 and 100; got 120" in bad.text
            assert bad.text.startswith('<div id="traffic-panel">')

    studio.run(journey())
    assert studio.api("GET", path).json()["mirror_traffic"] == {}


def test_static_assets_are_served_from_the_package(studio: Studio) -> None:
    async def fetch() -> None:
        async with studio.client() as client:
            htmx = await client.get("/studio/static/vendor/htmx.min.js")
            assert htmx.status_code == 200 and htmx.text.startswith("var htmx=")
            css = await client.get("/studio/static/studio.css")
            assert css.status_code == 200 and "svg.chart" in css.text

    studio.run(fetch())
