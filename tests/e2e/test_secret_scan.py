"""The secret scan (#13): every secret the journeys below make, looked for everywhere it must not be.

One server of its own (its build cache under its home, so every file it wrote is scanned) runs
the journeys that make secrets: the admin token, storage account keys (made, listed, renewed,
used by azure-storage-blob), a service principal's secret (made, reset, used), access tokens,
endpoint keys (listed, regenerated, used for scoring), an aml_token endpoint's token, a replica's
MSI secret (used by the scoring script through the MSI endpoint), a private feed's PAT (sealed in
a connection, used by a build). Meanwhile a sampler reads the argv and environment of every
process the server started (gateway, replicas, uv builds). Then ``basin.testing.secrets`` looks
for each secret in every file under the home, every argv and environment seen, every API
response the test received and the server's output, allowing only the places the rules name.
The last test plants secrets where they must not be and shows the scan finds each.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from azure.storage.blob import BlobServiceClient

from basin import MLClient
from basin.entities import (
    EndpointAuthKeys,
    EndpointAuthToken,
    Environment,
    ManagedOnlineEndpoint,
    PatTokenConfiguration,
    Workspace,
    WorkspaceConnection,
)
from basin.testing import ServerProcess
from basin.testing.hygiene import ProcessView, descendants, read_process
from basin.testing.packages import PrivateIndex, make_wheel, start_pypiserver
from basin.testing.secrets import ReturnedBy, Secret, Secrets
from tests.e2e.test_online_endpoints import _deployment

PAT = "scan-feed-pat-5b1e8f0c2a94"

MSI_SCRIPT = """
import json, os, urllib.request

def init():
    pass

def run(raw_data):
    query = "api-version=2017-09-01&resource=https://storage.azure.com/"
    request = urllib.request.Request(
        os.environ["MSI_ENDPOINT"] + "?" + query, headers={"secret": os.environ["MSI_SECRET"]}
    )
    token = json.load(urllib.request.urlopen(request))["access_token"]
    return {"got_a_token": bool(token)}
"""


def _listkeys_of(*resources: str) -> ReturnedBy:
    """Responses to ``POST …/<resource>/listKeys`` (or regenerate) of the named resources."""
    pattern = re.compile(
        r".*/(" + "|".join(re.escape(r) for r in resources) + r")/(listKeys|regenerateKey)$"
    )
    return lambda method, path: method == "POST" and bool(pattern.fullmatch(path))


@dataclass
class Journey:
    server: ServerProcess
    secrets: Secrets = field(default_factory=Secrets)
    responses: list[tuple[str, str, bytes]] = field(default_factory=list)
    processes: dict[tuple[int, str], ProcessView] = field(default_factory=dict)

    def record(self, method: str, path: str, body: bytes) -> None:
        self.responses.append((method, path, body))

    def hook(self, response: httpx.Response) -> None:
        response.read()
        self.responses.append((response.request.method, response.url.path, response.content))

    def client(self, token: str | None = None) -> MLClient:
        made = MLClient(
            None, None, "rg-sec", "ws-sec", server=self.server.url, token=token or self.server.token
        )
        made._transport.response_hooks.append(self.record)
        return made

    def http(self) -> httpx.Client:
        return httpx.Client(timeout=60, event_hooks={"response": [self.hook]})


class Sampler:
    """Reads the argv and environment of every process below the server, every 20 ms."""

    def __init__(self, journey: Journey) -> None:
        self.journey = journey
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        process = self.journey.server.process
        assert process is not None
        while not self._stop.is_set():
            for pid in descendants(process.pid):
                view = read_process(pid)
                if view is not None:
                    key = (pid, " ".join(view.argv))
                    self.journey.processes.setdefault(key, view)
            time.sleep(0.02)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(30)


@pytest.fixture(scope="module")
def private_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateIndex]:
    packages = tmp_path_factory.mktemp("scan-packages")
    make_wheel(packages, "basin-scan-pkg", "0.1.0")
    process, index = start_pypiserver(
        packages, tmp_path_factory.mktemp("scan-pypiserver"), "basin", PAT
    )
    try:
        yield index
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="module")
def journey(
    tmp_path_factory: pytest.TempPathFactory, private_index: PrivateIndex
) -> Iterator[Journey]:
    """The journeys, run once for the module; the tests below judge what they left."""
    server = ServerProcess(tmp_path_factory.mktemp("scan") / "home").start()
    made = Journey(server)
    try:
        with Sampler(made):
            _run_journeys(made, private_index, tmp_path_factory.mktemp("scan-code"))
            time.sleep(0.3)  # a last sample of the replicas
        yield made
    finally:
        server.stop()


def _run_journeys(journey: Journey, index: PrivateIndex, code_root: Path) -> None:
    secrets = journey.secrets
    server = journey.server
    secrets.record(Secret("admin token", server.token, files=("credentials.json",)))
    with journey.client() as client:
        client.resource_groups.create_or_update("rg-sec")
        workspace = client.workspaces.begin_create(Workspace(name="ws-sec")).result()
        assert workspace.storage_account
        ws_account = workspace.storage_account.rsplit("/", 1)[-1]
        # storage account keys: listed, renewed, and used by the real blob client
        client.storage_accounts.begin_create("secstore1").result()
        for key in client.storage_accounts.list_keys("secstore1"):
            secrets.record(Secret("storage key", key["value"], _listkeys_of("secstore1")))
        renewed = client.storage_accounts.regenerate_key("secstore1", "key1")
        for entry in renewed:
            secrets.record(Secret("storage key", entry["value"], _listkeys_of("secstore1")))
        keys = client.workspaces.get_keys("ws-sec")
        assert keys.user_storage_key
        secrets.record(
            Secret(
                "workspace storage key",
                keys.user_storage_key,
                _listkeys_of("ws-sec", ws_account),
            )
        )
        account_url = client.storage_accounts.get("secstore1").primary_endpoints.blob or ""
        blob_key = renewed[0]["value"]
        with BlobServiceClient(
            account_url,
            credential={"account_name": "secstore1", "account_key": blob_key},
            connection_verify=server.credentials["ca_file"],
        ) as blobs:
            blobs.create_container("data").upload_blob("note.txt", b"no secret here")
        # a service principal: made, reset, used
        principal = client.principals.create("sec-sp")
        assert principal.password and principal.id
        reset = client.principals.reset_credential(principal.id)
        assert reset.password
        for password in (principal.password, reset.password):
            secrets.record(
                Secret(
                    "service principal secret",
                    password,
                    lambda m, p: (
                        m == "POST" and (p == "/basin/principals" or p.endswith("/resetCredential"))
                    ),
                )
            )
        client.role_assignments.create(
            principal.id,
            "Reader",
            f"/subscriptions/{server.credentials['subscription_id']}/resourceGroups/rg-sec",
        )
        with journey.client(reset.password) as as_sp:
            assert as_sp.resource_groups.get("rg-sec").name == "rg-sec"
            token = as_sp.principals.get_access_token()["accessToken"]
        storage_token = client.principals.get_access_token("https://storage.azure.com/")
        for value in (token, storage_token["accessToken"]):
            secrets.record(
                Secret("access token", value, lambda m, p: m == "POST" and p == "/basin/token")
            )
        with journey.client(token) as with_jwt:  # a JWT as the bearer: logged nowhere
            assert with_jwt.resource_groups.get("rg-sec").name == "rg-sec"
        # endpoint keys: listed, regenerated, used for scoring; a replica with an MSI secret
        code = code_root / "src"
        code.mkdir()
        (code / "score.py").write_text(MSI_SCRIPT)
        client.online_endpoints.begin_create_or_update(
            ManagedOnlineEndpoint(name="sec-key")
        ).result()
        client.online_deployments.begin_create_or_update(
            _deployment("blue", "sec-key", code)
        ).result()
        client.online_endpoints.begin_update("sec-key", {"traffic": {"blue": 100}}).result()
        first = client.online_endpoints.get_keys("sec-key")
        client.online_endpoints.begin_regenerate_keys("sec-key", key_type="secondary").result()
        second = client.online_endpoints.get_keys("sec-key")
        assert isinstance(first, EndpointAuthKeys) and isinstance(second, EndpointAuthKeys)
        for value in {first.primary_key, first.secondary_key, second.secondary_key}:
            secrets.record(Secret("endpoint key", value, _listkeys_of("sec-key")))
        uri = client.online_endpoints.get("sec-key").scoring_uri or ""
        with journey.http() as http:
            for value in (second.primary_key, second.secondary_key):
                answer = http.post(uri, json={}, headers={"Authorization": f"Bearer {value}"})
                assert answer.status_code == 200 and answer.json() == {"got_a_token": True}
            refused = http.post(
                uri, json={}, headers={"Authorization": f"Bearer {first.secondary_key}"}
            )
            assert refused.status_code == 401
        # an aml_token endpoint's token
        client.online_endpoints.begin_create_or_update(
            ManagedOnlineEndpoint(name="sec-tok", auth_mode="aml_token")
        ).result()
        endpoint_token = client.online_endpoints.get_keys("sec-tok")
        assert isinstance(endpoint_token, EndpointAuthToken)
        secrets.record(
            Secret("endpoint token", endpoint_token.access_token, _listkeys_of("sec-tok"))
        )
        with journey.http() as http:
            scoring = client.online_endpoints.get("sec-tok").scoring_uri or ""
            headers = {"Authorization": f"Bearer {endpoint_token.access_token}"}
            assert http.post(scoring, json={}, headers=headers).status_code == 404  # no deployment
        # a private feed's PAT: sealed in a connection, used by a build
        client.connections.create_or_update(
            WorkspaceConnection(
                name="scan-feed",
                type="python_feed",
                target=index.url,
                credentials=PatTokenConfiguration(pat=PAT),
            )
        )
        secrets.record(Secret("connection PAT", PAT, environment=((r"UV_INDEX_.*", r"/uv\b"),)))
        env = client.environments.create_or_update(
            Environment(
                name="scan-env",
                image="basin:minimal",
                conda_file={
                    "dependencies": [
                        "python=3.11",
                        {"pip": [f"--extra-index-url {index.simple}", "basin-scan-pkg==0.1.0"]},
                    ]
                },
            )
        )
        client.environments.wait_for_build(env.name or "", env.version or "", timeout=600)
        client.connections.get("scan-feed")
        client.connections.list()
        client.environments.get_logs(env.name or "", env.version or "")
        client.online_deployments.get_logs("blue", "sec-key", lines=500)
        client.online_endpoints.list()
        client.online_deployments.list("sec-key")
        client.workspaces.list()
        client.storage_accounts.list()
    # the replicas' MSI secrets, as the sampler saw them: allowed in their replica's environment
    for view in list(journey.processes.values()):
        secret = view.environ.get("MSI_SECRET")
        replica = "basin.runtime" in " ".join(view.argv)
        if secret and replica and all(s.value != secret for s in secrets.recorded):
            secrets.record(
                Secret("MSI secret", secret, environment=((r"MSI_SECRET", r"basin\.runtime"),))
            )


def _latest_views(journey: Journey) -> list[ProcessView]:
    """Every sampled (pid, argv); scanned one by one, with the sampled parents for lineage."""
    return list(journey.processes.values())


def _scan(journey: Journey) -> Secrets:
    secrets = journey.secrets
    secrets.findings.clear()
    secrets.allowed_sightings.clear()
    secrets.scan_files(journey.server.home)
    secrets.scan_processes(_latest_views(journey))
    for method, path, body in journey.responses:
        secrets.scan_response(method, path, body)
    secrets.scan_text("".join(journey.server.output), "the server's output")
    return secrets


def test_every_secret_made_is_found_only_where_it_belongs(journey: Journey) -> None:
    kinds = {s.kind for s in journey.secrets.recorded}
    assert kinds >= {
        "admin token",
        "storage key",
        "workspace storage key",
        "service principal secret",
        "access token",
        "endpoint key",
        "endpoint token",
        "connection PAT",
        "MSI secret",
    }, kinds
    scan = _scan(journey)
    assert [str(f) for f in scan.findings] == []
    # the scan looked where the secrets legitimately are, so it looked in the right places
    seen = scan.allowed_sightings
    assert seen.get("MSI secret", 0) >= 1, seen  # a replica's environment
    assert seen.get("admin token", 0) >= 1, seen  # credentials.json
    assert seen.get("endpoint key", 0) >= 2, seen  # the listKeys answers
    assert seen.get("service principal secret", 0) >= 2, seen
    assert seen.get("connection PAT", 0) >= 1, seen  # uv's environment while it built
    assert len(journey.responses) > 40 and len(journey.processes) >= 3


def test_the_scan_finds_planted_secrets(journey: Journey) -> None:
    """A check that cannot fail is worthless: plant secrets where they must not be."""
    home = journey.server.home
    key = next(s for s in journey.secrets.recorded if s.kind == "endpoint key")
    pat = next(s for s in journey.secrets.recorded if s.kind == "connection PAT")
    msi = next(s for s in journey.secrets.recorded if s.kind == "MSI secret")
    planted = home / "logs" / "planted.log"
    planted.write_text(f"oops {key.value}\n")
    process = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)", f"--token={pat.value}"],
        env={"PATH": "/usr/bin:/bin", "LEAKED": msi.value, "MSI_SECRET": msi.value},
    )
    try:
        time.sleep(0.2)
        view = read_process(process.pid)
        assert view is not None
        scan = _scan(journey)
        scan.scan_process(view)
        scan.scan_response("GET", "/subscriptions/x/resourceGroups", key.value.encode())
    finally:
        process.kill()
        process.wait()
        planted.unlink()
    found = {str(f) for f in scan.findings}
    assert f"endpoint key found in file {planted}" in found
    assert any(f.startswith("connection PAT found in argv of pid") for f in found), found
    assert any("environment variable LEAKED" in f for f in found), found
    # MSI_SECRET in a process that is not a replica is not allowed either
    assert any("environment variable MSI_SECRET" in f for f in found), found
    assert "endpoint key found in the response to GET /subscriptions/x/resourceGroups" in found
