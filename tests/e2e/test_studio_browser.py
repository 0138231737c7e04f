"""basin studio in a real browser: headless Chromium (Debian's) driven by Playwright, against a
real server with an endpoint the test deployed through the SDK (two deployments, real replicas).

With ``BASIN_STUDIO_SCREENSHOTS=<folder>`` the same walk saves a screenshot of every page
(``make screenshots`` refreshes docs/studio/ this way).
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from basin import MLClient
from basin.entities import (
    CodeConfiguration,
    Environment,
    ManagedOnlineDeployment,
    ManagedOnlineEndpoint,
    Model,
    PatTokenConfiguration,
    Workspace,
    WorkspaceConnection,
)
from basin.testing import ServerProcess
from basin.testing.browser import chromium, chromium_path

pytestmark = pytest.mark.skipif(
    chromium_path() is None,
    reason="Chromium is not installed: 'make test' installs it (scripts/chromium.sh)",
)

SCORE = """
import json, os

def init():
    print("studio echo ready:", os.environ.get("LABEL"))

def run(raw_data):
    data = json.loads(raw_data)
    if data.get("marker"):
        print("scored", data["marker"])
    return {"deployment": os.environ.get("LABEL"), "echo": data}
"""
ENDPOINT = "studio-ep"
PAT = "studio-feed-pat-" + uuid.uuid4().hex
#: The bounded load loop of the chart test: at most this many requests, one every 0.25 s.
LOAD_REQUESTS = 60


@pytest.fixture(scope="module")
def client(server: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MLClient]:
    """A workspace with an endpoint of two deployments, a model, an environment, a connection."""
    with MLClient(
        None, None, "rg-studio", "ws-studio", server=server.url, token=server.token
    ) as made:
        made.resource_groups.create_or_update("rg-studio")
        made.workspaces.begin_create(
            Workspace(name="ws-studio", description="Walked by the studio's browser test")
        ).result()
        folder = tmp_path_factory.mktemp("studio") / "src"
        folder.mkdir()
        (folder / "score.py").write_text(SCORE)
        weights = folder.parent / "weights.json"
        weights.write_text(json.dumps({"w": [0.1, 0.2]}))
        made.models.create_or_update(Model(name="studio-model", path=str(weights)))
        made.environments.create_or_update(Environment(name="studio-env", image="basin:minimal"))
        made.connections.create_or_update(
            WorkspaceConnection(
                name="team-feed",
                type="python_feed",
                target="https://pkgs.example.test/simple/",
                credentials=PatTokenConfiguration(pat=PAT),
            )
        )
        made.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name=ENDPOINT)).result()
        for name in ("blue", "green"):
            made.online_deployments.begin_create_or_update(
                ManagedOnlineDeployment(
                    name=name,
                    endpoint_name=ENDPOINT,
                    model="azureml:studio-model:1",
                    code_configuration=CodeConfiguration(
                        code=str(folder), scoring_script="score.py"
                    ),
                    environment="azureml:studio-env:1",
                    instance_type="Standard_DS3_v2",
                    instance_count=1,
                    environment_variables={"LABEL": name},
                )
            ).result()
        made.online_endpoints.begin_update(ENDPOINT, {"traffic": {"blue": 100}}).result()
        yield made


def _score(client: MLClient, body: dict[str, Any]) -> httpx.Response:
    endpoint = client.online_endpoints.get(ENDPOINT)
    key = client.online_endpoints.get_keys(ENDPOINT).primary_key  # type: ignore[union-attr]
    assert endpoint.scoring_uri
    return httpx.post(
        endpoint.scoring_uri, json=body, headers={"Authorization": f"Bearer {key}"}, timeout=30
    )


class Walk:
    """The browser's page, plus every page's HTML seen (checked for secrets at the end)."""

    def __init__(self, page: Any, base: str, shots: Path | None) -> None:
        self.page = page
        self.base = base
        self.shots = shots
        self.seen: list[tuple[str, str]] = []

    def look(self, name: str) -> str:
        """Note what the page shows now (and save its screenshot when asked)."""
        html = self.page.content()
        self.seen.append((name, html))
        if self.shots is not None:
            # caret="initial": hiding it would inject a style sheet, which the CSP refuses.
            self.page.screenshot(
                path=str(self.shots / f"{name}.png"), full_page=True, caret="initial"
            )
        return str(html)

    def wait_until(self, check: Callable[[], bool], what: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            self.page.wait_for_timeout(250)


def test_studio_walk_in_chromium(
    server: ServerProcess, client: MLClient, cli: Any, tmp_path: Path
) -> None:
    try:
        _walk(server, client, cli, tmp_path)
    except BaseException:
        print("".join(server.output[-60:]))  # the server's side of a failure
        raise


def _walk(server: ServerProcess, client: MLClient, cli: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    shots_env = os.environ.get("BASIN_STUDIO_SCREENSHOTS")
    shots = Path(shots_env) if shots_env else None
    if shots is not None:
        shots.mkdir(parents=True, exist_ok=True)
    keys = client.online_endpoints.get_keys(ENDPOINT)
    secrets = {
        "the admin token": server.token,
        "the primary key": keys.primary_key,  # type: ignore[union-attr]
        "the secondary key": keys.secondary_key,  # type: ignore[union-attr]
        "the connection's PAT": PAT,
    }
    started = time.monotonic()
    with chromium() as browser:
        page = browser.new_page()
        page.set_default_timeout(30_000)
        # Script errors and CSP refusals show in the console; a 4xx the page expects does too
        # ("Failed to load resource"), and is left out.
        console: list[str] = []
        page.on("pageerror", lambda error: console.append(str(error)))
        page.on(
            "console",
            lambda message: (
                console.append(message.text)
                if message.type == "error" and "Failed to load resource" not in message.text
                else None
            ),
        )
        walk = Walk(page, server.url + "/studio", shots)
        ws = f"{walk.base}/workspaces/rg-studio/ws-studio"
        ep = f"{ws}/endpoints/{ENDPOINT}"

        # -- sign in: a wrong token is refused (and not shown back), the right one works
        page.goto(f"{walk.base}/workspaces")
        expect(page).to_have_url(re.compile(r"/studio/signin\?next=/studio/workspaces$"))
        expect(page.get_by_label("Token", exact=True)).to_be_focused()
        walk.look("signin")
        wrong = "basin_wrong_" + uuid.uuid4().hex
        page.get_by_label("Token", exact=True).fill(wrong)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_contain_text(
            "ERROR: (AuthenticationFailed) The credential is not valid"
        )
        assert wrong not in walk.look("signin-refused")
        page.get_by_label("Token", exact=True).fill(server.token)
        page.get_by_label("Token", exact=True).press("Enter")  # the keyboard alone submits the form
        expect(page).to_have_url(f"{walk.base}/workspaces")
        expect(page.get_by_text("Signed in as")).to_be_visible()
        cookie = next(c for c in browser.cookies() if c["name"] == "basin_studio")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        assert server.token not in cookie["value"]
        walk.look("workspaces")

        # -- walk to the endpoint by links, as a person would
        page.get_by_role("link", name="ws-studio").click()
        expect(page.get_by_role("heading", name="ws-studio")).to_be_visible()
        expect(page.get_by_role("heading", name="Dependent resources")).to_be_visible()
        walk.look("workspace")
        page.get_by_role("navigation", name="Workspace").get_by_role(
            "link", name="Endpoints"
        ).click()
        expect(page.get_by_role("link", name=ENDPOINT)).to_be_visible()
        walk.look("endpoints")
        page.get_by_role("link", name=ENDPOINT).click()
        expect(page).to_have_url(ep)

        # -- traffic slider, by keyboard: blue 30, green follows to 70; the CLI agrees
        blue = page.get_by_label("Traffic to blue, percent", exact=True)
        blue.focus()
        blue.press("Home")
        for _ in range(30):
            blue.press("ArrowRight")
        expect(page.locator("#traffic-green-value")).to_have_text("70%")
        page.get_by_role("button", name="Apply traffic").click()
        expect(page.locator("#traffic-notice")).to_have_text("Traffic updated: blue=30, green=70.")
        shown = cli("online-endpoint", "show", "-n", ENDPOINT, "-g", "rg-studio", "-w", "ws-studio")
        assert shown.code == 0, shown.err
        assert shown.json()["traffic"] == {"blue": 30, "green": 70}
        walk.look("endpoint")
        # A refused change reads as the CLI prints it, in the panel, and changes nothing.
        mirror = page.get_by_label("Mirror copy for green, percent", exact=True)
        mirror.focus()
        for _ in range(10):
            mirror.press("ArrowRight")
        page.get_by_role("button", name="Apply traffic").click()
        expect(page.locator("#traffic-panel").get_by_role("alert")).to_have_text(
            "ERROR: (ValidationError) Deployment 'green' takes live traffic; it cannot also be "
            "the mirror target."
        )
        expect(page.locator("#mirror-green-value")).to_have_text("0%")
        assert client.online_endpoints.get(ENDPOINT).mirror_traffic == {}
        # All live traffic to blue, and a 10% mirror to green: applied, and the CLI agrees.
        blue.focus()
        blue.press("End")
        expect(page.locator("#traffic-green-value")).to_have_text("0%")
        mirror.focus()
        for _ in range(10):
            mirror.press("ArrowRight")
        page.get_by_role("button", name="Apply traffic").click()
        expect(page.locator("#traffic-notice")).to_have_text("Traffic updated: blue=100, green=0.")
        shown = cli("online-endpoint", "show", "-n", ENDPOINT, "-g", "rg-studio", "-w", "ws-studio")
        # a 0% share is kept, as az keeps it (--traffic "blue=0 green=100"; issue 11)
        assert shown.json()["traffic"] == {"blue": 100, "green": 0}
        assert shown.json()["mirror_traffic"] == {"green": 10}

        # -- a change without the session's CSRF token is refused (the cookie alone is not enough)
        forged = page.request.post(
            f"{ep}/traffic", form={"traffic:blue": "100", "traffic:green": "0"}
        )
        assert forged.status == 403 and "CSRF token is missing or wrong" in forged.text()
        assert client.online_endpoints.get(ENDPOINT).traffic == {"blue": 100, "green": 0}

        # -- test tab: send JSON to one deployment and see the answer, status and latency
        page.get_by_role("link", name="Test").click()
        page.get_by_label("Send to").select_option("green")
        page.get_by_label("Request body (JSON)").fill('{"hello": "studio"}')
        page.get_by_role("button", name="Send request").click()
        expect(page.locator("#test-status")).to_have_text("200 OK")
        expect(page.locator("#test-deployment")).to_have_text("green")
        expect(page.locator("#test-answer")).to_contain_text('"hello": "studio"')
        expect(page.locator("#test-latency")).to_have_text(re.compile(r"^\d+(\.\d)? ms$"))
        walk.look("test")
        # ... and a file as the body
        sample = tmp_path / "sample-request.json"
        sample.write_text(json.dumps({"from": "a file"}))
        page.get_by_label("…or a file to send as the body").set_input_files(str(sample))
        page.get_by_role("button", name="Send request").click()
        expect(page.locator("#test-answer")).to_contain_text('"from": "a file"')

        # -- logs: follow, and see a line the replica prints after following began
        page.get_by_role("link", name="Logs").click()
        page.get_by_label("Deployment").select_option("blue")
        expect(page.locator("#logs")).to_contain_text("studio echo ready: blue")
        page.get_by_label("Follow").check()
        expect(page.locator("#logs-panel")).to_have_attribute("data-follow", "1")
        marker = "m-" + uuid.uuid4().hex[:12]
        client.online_endpoints.invoke(ENDPOINT, deployment_name="blue", data={"marker": marker})
        expect(page.locator("#logs")).to_contain_text(f"scored {marker}", timeout=20_000)
        walk.look("logs")

        # -- monitoring: a chart's points grow under a bounded load loop
        page.get_by_role("link", name="Monitoring").click()
        chart = page.locator("#chart-requests")
        expect(chart).to_be_visible()
        points_before = int(chart.get_attribute("data-points") or 0)
        requests_before = int(page.locator("#total-requests").inner_text())
        sent: list[int] = []
        stop = threading.Event()

        def load() -> None:
            for i in range(LOAD_REQUESTS):
                if stop.is_set():
                    return
                sent.append(_score(client, {"n": i}).status_code)
                time.sleep(0.25)

        loader = threading.Thread(target=load, daemon=True)
        loader.start()
        try:
            walk.wait_until(
                lambda: (
                    int(chart.get_attribute("data-points") or 0) > points_before
                    and int(page.locator("#total-requests").inner_text()) >= requests_before + 20
                ),
                "the requests chart to grow",
                timeout=45,
            )
        finally:
            if shots is None:
                stop.set()  # seen: no need to send the rest (screenshots show the whole loop)
            loader.join(timeout=30)
        if shots is not None:
            page.wait_for_timeout(2500)  # one more refresh of the charts
        assert sent and set(sent) == {200}
        expect(page.locator("#chart-replicas")).to_be_visible()
        assert "2" in page.locator("#charts .totals").inner_text()  # two ready replicas
        walk.look("monitoring")
        cli_metrics = cli(
            "online-endpoint", "metrics", "-n", ENDPOINT, "--window", "15m",
            "-g", "rg-studio", "-w", "ws-studio",
        )  # fmt: skip
        assert cli_metrics.code == 0, cli_metrics.err
        assert cli_metrics.json()["total"]["requests"] >= requests_before + 20
        table = cli(
            "online-endpoint", "metrics", "-n", ENDPOINT, "-o", "tsv",
            "-g", "rg-studio", "-w", "ws-studio",
        )  # fmt: skip
        rows = [line.split("\t") for line in table.out.splitlines()]
        assert len(rows) == 90 and sum(int(row[1]) for row in rows) >= requests_before + 20

        # -- consume: no key in the page until asked for
        page.get_by_role("link", name="Consume").click()
        expect(page.locator("#scoring-uri")).to_have_text(
            client.online_endpoints.get(ENDPOINT).scoring_uri or ""
        )
        expect(page.get_by_text("curl -X POST")).to_be_visible()
        walk.look("consume")
        page.get_by_role("button", name="Show keys").click()
        expect(page.get_by_label("Primary key")).to_have_value(keys.primary_key)  # type: ignore[union-attr]
        keys_html = page.content()

        # -- models, environments (build state, log and lock), connections, access
        nav = page.get_by_role("navigation", name="Workspace")
        nav.get_by_role("link", name="Models").click()
        expect(page.get_by_role("rowheader", name="studio-model")).to_be_visible()
        walk.look("models")
        nav.get_by_role("link", name="Environments").click()
        page.get_by_role("link", name="studio-env").click()
        expect(page.locator("#build-state")).to_have_text("Succeeded")
        expect(page.locator("#build-lock")).not_to_be_empty()
        walk.look("environment")
        nav.get_by_role("link", name="Connections").click()
        expect(page.get_by_text("https://pkgs.example.test/simple/")).to_be_visible()
        walk.look("connections")
        nav.get_by_role("link", name="Access (roles)").click()
        expect(page.get_by_role("cell", name="Owner").first).to_be_visible()
        walk.look("access")

        # -- an error reads as the CLI prints it
        page.goto(f"{ws}/endpoints/no-such-ep")
        expect(page.get_by_role("alert")).to_have_text(
            "ERROR: (ResourceNotFound) Online endpoint 'no-such-ep' was not found in "
            "workspace 'ws-studio'."
        )
        walk.look("error")

    assert console == [], console
    # -- no secret in any page but the keys asked for on the consume tab
    for name, html in walk.seen:
        for what, secret in secrets.items():
            assert secret not in html, f"{what} is in the {name} page"
    assert keys.primary_key in keys_html  # type: ignore[union-attr]
    print(f"studio browser walk: {time.monotonic() - started:.1f} s")
