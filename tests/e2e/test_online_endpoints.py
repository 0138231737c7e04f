"""The online-endpoint journey against a real server, real replicas and the real clients."""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from basin import MLClient
from basin.entities import (
    CodeConfiguration,
    EndpointAuthKeys,
    EndpointAuthToken,
    Environment,
    IdentityConfiguration,
    ManagedIdentityConfiguration,
    ManagedOnlineDeployment,
    ManagedOnlineEndpoint,
    OnlineRequestSettings,
    Workspace,
)
from basin.errors import BasinError, ImmutableFieldError
from basin.testing import ServerProcess
from tests.e2e.test_workspaces_cli import assign, ok

ECHO = """
import json, os, time
from azureml_inference_server_http.api.aml_response import AMLResponse

def init():
    print("echo init for", os.environ.get("LABEL"))

def run(raw_data):
    data = json.loads(raw_data) if raw_data else {}
    if data.get("sleep"):
        time.sleep(data["sleep"])
    if data.get("bad"):
        return AMLResponse("bad input from the client", 400)
    if data.get("fail"):
        raise RuntimeError("the scoring script failed")
    return {"deployment": os.environ.get("LABEL"), "echo": data}
"""

RAW_MSI = """
import json, os, ssl, urllib.request

def init():
    pass

def run(raw_data):
    query = "api-version=2017-09-01&resource=https://storage.azure.com/&clientid=" + os.environ["UAI_CLIENT_ID"]
    request = urllib.request.Request(os.environ["MSI_ENDPOINT"] + "?" + query, headers={"secret": os.environ["MSI_SECRET"]})
    token = json.load(urllib.request.urlopen(request))["access_token"]
    blob = urllib.request.Request(os.environ["BLOB_URL"], headers={"Authorization": "Bearer " + token, "x-ms-version": "2021-08-06"})
    context = ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
    return {"content": urllib.request.urlopen(blob, context=context).read().decode()}
"""


@pytest.fixture(scope="module")
def client(server: ServerProcess) -> Iterator[MLClient]:
    with MLClient(
        None, None, "rg-online", "ws-online", server=server.url, token=server.token
    ) as made:
        made.resource_groups.create_or_update("rg-online")
        made.workspaces.begin_create(Workspace(name="ws-online")).result()
        yield made


@pytest.fixture(scope="module")
def echo_code(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("echo") / "src"
    folder.mkdir()
    (folder / "score.py").write_text(ECHO)
    return folder


def _deployment(name: str, endpoint: str, code: Path, **extra: Any) -> ManagedOnlineDeployment:
    env_vars = {"LABEL": name, **extra.pop("environment_variables", {})}
    return ManagedOnlineDeployment(
        name=name,
        endpoint_name=endpoint,
        code_configuration=CodeConfiguration(code=str(code), scoring_script="score.py"),
        environment=Environment(image="basin:minimal"),
        instance_type="Standard_DS3_v2",
        environment_variables=env_vars,
        **extra,
    )


def _score(client: MLClient, endpoint: str) -> tuple[str, dict[str, str]]:
    target = client.online_endpoints.get(endpoint)
    keys = client.online_endpoints.get_keys(endpoint)
    assert target.scoring_uri
    return target.scoring_uri, {"Authorization": f"Bearer {keys.primary_key}"}  # type: ignore[union-attr]


def _pid_of(client: MLClient, endpoint: str, deployment: str) -> int:
    # All the log kept (not the last 5000 lines): under load the replicas' request lines push
    # the supervisor's "started" events out of a tail.
    logs = client.online_deployments.get_logs(deployment, endpoint, lines=1_000_000)
    pids = re.findall(r"started \(pid (\d+), port", logs)
    assert pids, logs
    return int(pids[-1])


def test_user_assigned_identity_needs_its_roles(client: MLClient, cli: Any, tmp_path: Path) -> None:
    identity = ok(cli("identity", "create", "-n", "uai-online", "-g", "rg-online"))
    account = ok(cli("storage", "account", "create", "-n", "uaistore1", "-g", "rg-online"))
    ok(
        cli(
            "storage",
            "container",
            "create",
            "-n",
            "files",
            "--account-name",
            "uaistore1",
            "-g",
            "rg-online",
        )
    )
    note = tmp_path / "note.txt"
    note.write_text("read with a user-assigned identity")
    ok(
        cli(
            "storage",
            "blob",
            "upload",
            "-n",
            "note.txt",
            "-c",
            "files",
            "--account-name",
            "uaistore1",
            "-g",
            "rg-online",
            "-f",
            str(note),
        )
    )
    code = tmp_path / "src"
    code.mkdir()
    (code / "score.py").write_text(RAW_MSI)
    client.online_endpoints.begin_create_or_update(
        ManagedOnlineEndpoint(
            name="uai-endpoint",
            identity=IdentityConfiguration(
                type="user_assigned",
                user_assigned_identities=[ManagedIdentityConfiguration(resource_id=identity["id"])],
            ),
        )
    ).result()
    with pytest.raises(ImmutableFieldError):
        client.online_endpoints.begin_create_or_update(
            ManagedOnlineEndpoint(
                name="uai-endpoint", identity=IdentityConfiguration(type="system_assigned")
            )
        )
    workspace = client.workspaces.get("ws-online")
    deployment = _deployment(
        "blue", "uai-endpoint", code,
        environment_variables={"UAI_CLIENT_ID": identity["clientId"], "BLOB_URL": account["primaryEndpoints"]["blob"] + "files/note.txt"},
    )  # fmt: skip
    with pytest.raises(BasinError) as no_acr:
        client.online_deployments.begin_create_or_update(deployment).result()
    assert "AcrPull" in str(no_acr.value) and str(workspace.container_registry) in str(no_acr.value)
    assign(cli, identity["principalId"], "AcrPull", str(workspace.container_registry))
    with pytest.raises(BasinError) as no_reader:
        client.online_deployments.begin_create_or_update(deployment).result()
    assert "Storage Blob Data Reader" in str(no_reader.value)
    for scope in (str(workspace.storage_account), account["id"]):
        assign(cli, identity["principalId"], "Storage Blob Data Reader", scope)
    done = client.online_deployments.begin_create_or_update(deployment).result()
    assert done.provisioning_state == "Succeeded"
    answer = client.online_endpoints.invoke("uai-endpoint", data={}, deployment_name="blue")
    assert json.loads(answer) == {"content": "read with a user-assigned identity"}


def test_traffic_split_header_override_and_mirror(
    client: MLClient, echo_code: Path, server: ServerProcess
) -> None:
    client.online_endpoints.begin_create_or_update(
        ManagedOnlineEndpoint(name="split-endpoint")
    ).result()
    for name in ("blue", "green", "shadow"):
        settings = OnlineRequestSettings(max_concurrent_requests_per_instance=8)
        client.online_deployments.begin_create_or_update(
            _deployment(name, "split-endpoint", echo_code, request_settings=settings)
        ).result()
    client.online_endpoints.begin_update(
        "split-endpoint", {"traffic": {"blue": 90, "green": 10}, "mirror_traffic": {"shadow": 20}}
    ).result()
    uri, headers = _score(client, "split-endpoint")
    counts: Counter[str] = Counter()
    with httpx.Client(headers=headers, timeout=30) as http:
        for _ in range(1000):
            response = http.post(uri, json={"n": 1})
            assert response.status_code == 200, response.text
            counts[response.json()["deployment"]] += 1
            assert response.headers["azureml-model-deployment"] == response.json()["deployment"]
        # 90/10 within 4 standard deviations of a binomial(1000, 0.1): 100 +- 38
        assert abs(counts["green"] - 100) <= 38 and counts["blue"] + counts["green"] == 1000
        assert counts["shadow"] == 0  # the mirror's answers never reach clients
        pinned = http.post(uri, json={}, headers={"azureml-model-deployment": "shadow"})
        assert pinned.status_code == 200 and pinned.json()["deployment"] == "shadow"
        unknown = http.post(uri, json={}, headers={"azureml-model-deployment": "purple"})
        assert unknown.status_code == 404
    mirrored = 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # mirrored copies are sent in the background
        mirrored = client.online_deployments.get_logs("shadow", "split-endpoint").count(
            "POST /score 200"
        )
        if mirrored >= 140:
            break
        time.sleep(0.2)
    assert 120 <= mirrored <= 290, mirrored  # about 20% of 1,000 (+ the pinned call)
    # one record per request in the workspace's monitoring sink, without the key
    text = ""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the server forwards the gateway's records as they come
        text = "".join(p.read_text() for p in (server.home / "monitoring").glob("*/requests.jsonl"))
        if text.count('"endpoint": "split-endpoint"') >= 1000:
            break
        time.sleep(0.2)
    assert text.count('"endpoint": "split-endpoint"') >= 1000
    assert headers["Authorization"].split()[1] not in text


def test_export_kubernetes_manifests_through_the_cli(
    client: MLClient, echo_code: Path, cli: Any
) -> None:
    import yaml

    from tests.unit.services.test_kubernetes_export import validated

    client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="k8s-ep")).result()
    client.online_deployments.begin_create_or_update(
        _deployment("blue", "k8s-ep", echo_code, instance_count=2)
    ).result()
    ws = ("-g", "rg-online", "-w", "ws-online")
    exported = cli("online-deployment", "export", "-n", "blue", "-e", "k8s-ep", *ws)
    assert exported.code == 0, exported.err
    deployment, service, hpa = (validated(d) for d in yaml.safe_load_all(exported.out))
    assert deployment.spec.replicas == 2
    (container,) = deployment.spec.template.spec.containers
    assert container.resources.requests == {"cpu": "4", "memory": "14336Mi"}  # Standard_DS3_v2
    assert service.spec.selector == deployment.spec.selector.match_labels
    assert hpa.spec.scale_target_ref.name == deployment.metadata.name
    refused = cli(
        "online-deployment", "export", "-n", "blue", "-e", "k8s-ep", "--format", "helm", *ws
    )
    assert refused.code == 1 and "Unknown export format 'helm'" in refused.err
    client.online_endpoints.begin_delete("k8s-ep").result()


def test_status_codes_and_keys(client: MLClient, echo_code: Path, server: ServerProcess) -> None:
    client.online_endpoints.begin_create_or_update(
        ManagedOnlineEndpoint(name="codes-endpoint")
    ).result()
    uri, headers = _score(client, "codes-endpoint")
    with httpx.Client(timeout=30) as http:
        assert http.post(uri, json={}, headers=headers).status_code == 404  # no deployment yet
        settings = OnlineRequestSettings(
            request_timeout_ms=1500, max_concurrent_requests_per_instance=1
        )
        client.online_deployments.begin_create_or_update(
            _deployment("blue", "codes-endpoint", echo_code, request_settings=settings)
        ).result()
        assert http.post(uri, json={}, headers=headers).status_code == 404  # no traffic yet
        client.online_endpoints.begin_update("codes-endpoint", {"traffic": {"blue": 100}}).result()
        assert http.post(uri, json={"x": 1}, headers=headers).status_code == 200
        assert http.post(uri, json={}, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert http.post(uri, json={}).status_code == 401
        assert (
            http.post(
                uri.replace("codes-endpoint", "no-such-endpoint"), json={}, headers=headers
            ).status_code
            == 404
        )
        assert http.post(uri, json={"sleep": 3}, headers=headers).status_code == 408
        bad = http.post(uri, json={"bad": True}, headers=headers)
        assert bad.status_code == 424
        assert bad.headers["ms-azureml-model-error-statuscode"] == "400"
        failed = http.post(uri, json={"fail": True}, headers=headers)
        assert (
            failed.status_code == 424
            and failed.headers["ms-azureml-model-error-statuscode"] == "500"
        )
        assert http.post(uri, json={}, headers=headers).status_code == 200  # the replica survived

        # more than 2 x 1 x 1 requests in flight -> 429 at once
        def slow(_: int) -> int:
            return http.post(uri, json={"sleep": 1}, headers=headers).status_code

        with ThreadPoolExecutor(max_workers=6) as pool:
            codes = Counter(pool.map(slow, range(6)))
        assert codes[429] >= 1 and codes[200] >= 1, codes

        old = headers["Authorization"]
        client.online_endpoints.begin_regenerate_keys("codes-endpoint", key_type="primary").result()
        assert http.post(uri, json={}, headers={"Authorization": old}).status_code == 401  # at once
        fresh = client.online_endpoints.get_keys("codes-endpoint")
        assert isinstance(fresh, EndpointAuthKeys)
        # the gateway's table on disk holds key digests, never the keys
        routes = (server.home / "gateway" / "routes.json").read_text()
        assert "codes-endpoint" in routes and fresh.primary_key not in routes
        # and reaches the replica (a process on this machine) over its Unix socket
        blue = json.loads(routes)["endpoints"]["codes-endpoint"]["deployments"]["blue"]
        assert len(blue["replicas"]) == 1
        assert blue["replicas"][0].startswith("unix:/") and blue["replicas"][0].endswith(".sock")
        for key in (fresh.primary_key, fresh.secondary_key):
            answer = http.post(uri, json={}, headers={"Authorization": f"Bearer {key}"})
            assert answer.status_code == 200
    # the SDK raises basin's own classes for the gateway's answers, as retry logic wants
    from basin.errors import RequestTimeoutError

    with pytest.raises(RequestTimeoutError):
        client.online_endpoints.invoke("codes-endpoint", data={"sleep": 3})
    # the gateway sends the replica no deprecated request-id header (a warning per request)
    logs = client.online_deployments.get_logs("blue", "codes-endpoint")
    assert "x-ms-request-id header has been deprecated" not in logs
    # the replica's own timeout is a backstop just after the gateway's (equal, they raced)
    assert "Scoring timeout is set to 2500" in logs


def test_a_hang_after_fast_calls_costs_one_request_not_the_replica(
    client: MLClient, echo_code: Path
) -> None:
    """After 64 fast calls run() runs inline on the replica's loop; a hang there used to block
    the loop for SCORING_TIMEOUT_MS (azmlinfsrv's default: an hour) until liveness restarted the
    replica. The scoring timeout now follows request_timeout_ms (a second after it)."""
    client.online_endpoints.begin_create_or_update(
        ManagedOnlineEndpoint(name="hang-endpoint")
    ).result()
    settings = OnlineRequestSettings(
        request_timeout_ms=2000, max_concurrent_requests_per_instance=4
    )
    client.online_deployments.begin_create_or_update(
        _deployment("blue", "hang-endpoint", echo_code, request_settings=settings)
    ).result()
    client.online_endpoints.begin_update("hang-endpoint", {"traffic": {"blue": 100}}).result()
    pid = _pid_of(client, "hang-endpoint", "blue")
    uri, headers = _score(client, "hang-endpoint")
    with httpx.Client(timeout=30) as http:
        for _ in range(200):  # enough fast calls in a row for the runner's fast lane
            assert http.post(uri, json={}, headers=headers).status_code == 200
        logs = client.online_deployments.get_logs("blue", "hang-endpoint")
        assert "running it on the event loop" in logs
        assert http.post(uri, json={"sleep": 600}, headers=headers).status_code == 408
        answered = [http.post(uri, json={"n": i}, headers=headers).status_code for i in range(3)]
    assert answered == [200, 200, 200]
    assert _pid_of(client, "hang-endpoint", "blue") == pid  # not restarted


def test_aml_token_auth(client: MLClient, echo_code: Path) -> None:
    client.online_endpoints.begin_create_or_update(
        ManagedOnlineEndpoint(name="token-endpoint", auth_mode="aml_token")
    ).result()
    client.online_deployments.begin_create_or_update(
        _deployment("blue", "token-endpoint", echo_code)
    ).result()
    client.online_endpoints.begin_update("token-endpoint", {"traffic": {"blue": 100}}).result()
    assert json.loads(client.online_endpoints.invoke("token-endpoint", data={"a": 1}))["echo"] == {
        "a": 1
    }
    token = client.online_endpoints.get_keys("token-endpoint")
    assert isinstance(token, EndpointAuthToken)
    other = (
        client.online_endpoints.get("codes-endpoint")
        if any(e.name == "codes-endpoint" for e in client.online_endpoints.list())
        else None
    )
    uri = client.online_endpoints.get("token-endpoint").scoring_uri or ""
    assert (
        httpx.post(uri, json={}, headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    )
    if other is not None and other.scoring_uri:  # a token is only good for its own endpoint
        response = httpx.post(
            other.scoring_uri, json={}, headers={"Authorization": f"Bearer {token.access_token}"}
        )
        assert response.status_code == 401
    # A principal with no role on the endpoint cannot mint its token through the token
    # service, however the scope is spelled (it could with '/.default/.default' before).
    nobody = client.principals.create("no-role-on-token-endpoint")
    assert nobody.password
    with MLClient(
        None, None, "rg-online", "ws-online", server=client.server, token=nobody.password
    ) as other_client:
        for scope in (uri, uri + "/.default", uri + "/.default/.default", uri.upper()):
            with pytest.raises(BasinError) as refused:
                other_client.principals.get_access_token(scope)
            assert refused.value.status == 400, scope


def test_update_under_load_replicas_killed_and_server_restarted(
    tmp_path: Path, echo_code: Path, build_cache: Path
) -> None:
    """Blue-to-green style update with zero failed requests; a SIGKILLed replica is replaced;
    a SIGKILLed server, started again, brings the deployment back."""
    server = ServerProcess(
        tmp_path / "home", extra_env={"BASIN_BUILD_CACHE": str(build_cache)}
    ).start()
    try:
        with MLClient(
            None, None, "rg-life", "ws-life", server=server.url, token=server.token
        ) as client:
            client.resource_groups.create_or_update("rg-life")
            client.workspaces.begin_create(Workspace(name="ws-life")).result()
            client.online_endpoints.begin_create_or_update(
                ManagedOnlineEndpoint(name="life-endpoint")
            ).result()
            settings = OnlineRequestSettings(max_concurrent_requests_per_instance=8)
            client.online_deployments.begin_create_or_update(
                _deployment(
                    "blue", "life-endpoint", echo_code, instance_count=2, request_settings=settings
                )
            ).result()
            client.online_endpoints.begin_update(
                "life-endpoint", {"traffic": {"blue": 100}}
            ).result()
            uri, headers = _score(client, "life-endpoint")
            failures: list[int] = []
            answered: Counter[str] = Counter()
            stop = threading.Event()

            def load() -> None:
                with httpx.Client(headers=headers, timeout=30) as http:
                    while not stop.is_set():
                        response = http.post(uri, json={})
                        if response.status_code != 200:
                            failures.append(response.status_code)
                        else:
                            answered[response.json()["deployment"]] += 1

            worker = threading.Thread(target=load)
            worker.start()
            try:
                update = _deployment(
                    "blue",
                    "life-endpoint",
                    echo_code,
                    instance_count=2,
                    request_settings=settings,
                    environment_variables={"LABEL": "blue-v2"},
                )
                client.online_deployments.begin_create_or_update(update).result()
                time.sleep(0.5)
                # then blue to green: a new deployment takes the traffic, in two steps
                green = _deployment("green", "life-endpoint", echo_code, request_settings=settings)
                client.online_deployments.begin_create_or_update(green).result()
                client.online_endpoints.begin_update(
                    "life-endpoint", {"traffic": {"blue": 50, "green": 50}}
                ).result()
                time.sleep(0.3)
                client.online_endpoints.begin_update(
                    "life-endpoint", {"traffic": {"blue": 0, "green": 100}}
                ).result()
                time.sleep(0.3)
                client.online_endpoints.begin_update(
                    "life-endpoint", {"traffic": {"blue": 100, "green": 0}}
                ).result()
                client.online_deployments.begin_delete("green", "life-endpoint").result()
                time.sleep(0.3)
            finally:
                stop.set()
                worker.join()
            assert failures == [], Counter(failures)  # no request failed during the updates
            assert answered["blue-v2"] > 0 and answered["green"] > 0 and sum(answered.values()) > 20

            victim = _pid_of(client, "life-endpoint", "blue")
            os.kill(victim, signal.SIGKILL)
            deadline = time.monotonic() + 30
            while (
                _pid_of(client, "life-endpoint", "blue") == victim and time.monotonic() < deadline
            ):
                time.sleep(0.1)
            assert _pid_of(client, "life-endpoint", "blue") != victim  # replaced
            with httpx.Client(headers=headers, timeout=30) as http:
                codes = Counter(http.post(uri, json={}).status_code for _ in range(50))
            assert codes == {200: 50}  # and the endpoint keeps answering
            replica = _pid_of(client, "life-endpoint", "blue")
        server.kill()  # SIGKILL: the server cannot stop its replicas itself
        deadline = time.monotonic() + 10
        while _alive(replica) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(replica)  # replicas die with their server (no orphans)
        server.start()
        with MLClient(
            None, None, "rg-life", "ws-life", server=server.url, token=server.token
        ) as client:
            uri, headers = _score(client, "life-endpoint")  # the gateway may listen elsewhere now
            deadline = time.monotonic() + 60
            while True:
                response = httpx.post(uri, json={}, headers=headers, timeout=10)
                if response.status_code == 200 or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            assert response.status_code == 200, response.text
            assert response.json()["deployment"] == "blue-v2"
    finally:
        server.stop()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (not yet reaped by anyone) counts as gone
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_deleting_a_workspace_or_group_deletes_its_endpoints_and_replicas(
    server: ServerProcess, echo_code: Path
) -> None:
    """As in Azure ML: endpoints are deleted with their workspace, even by a soft delete."""
    with MLClient(
        None, None, "rg-gone", "ws-gone", server=server.url, token=server.token
    ) as client:
        client.resource_groups.create_or_update("rg-gone")
        for workspace in ("ws-gone", "ws-gone2"):
            client.workspaces.begin_create(
                Workspace(name=workspace, resource_group="rg-gone")
            ).result()
        client.online_endpoints.begin_create_or_update(
            ManagedOnlineEndpoint(name="gone-endpoint")
        ).result()
        client.online_deployments.begin_create_or_update(
            _deployment("blue", "gone-endpoint", echo_code)
        ).result()
        replica = _pid_of(client, "gone-endpoint", "blue")
        uri, headers = _score(client, "gone-endpoint")
        client.workspaces.begin_delete("ws-gone").result()  # a soft delete
        deadline = time.monotonic() + 30
        while _alive(replica) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(replica)
        assert httpx.post(uri, json={}, headers=headers).status_code == 404
        client.workspaces.begin_recover("ws-gone").result()
        assert client.online_endpoints.list() == []

    with MLClient(
        None, None, "rg-gone", "ws-gone2", server=server.url, token=server.token
    ) as client:
        client.online_endpoints.begin_create_or_update(
            ManagedOnlineEndpoint(name="gone-endpoint2")
        ).result()
        client.online_deployments.begin_create_or_update(
            _deployment("blue", "gone-endpoint2", echo_code)
        ).result()
        replica = _pid_of(client, "gone-endpoint2", "blue")
        endpoint = client.online_endpoints.get("gone-endpoint2")
        client.resource_groups.begin_delete("rg-gone").result()
        deadline = time.monotonic() + 30
        while _alive(replica) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(replica)
        assert endpoint.identity and endpoint.identity.principal_id
    with MLClient(None, None, server=server.url, token=server.token) as admin:
        assert admin.role_assignments.list(assignee=endpoint.identity.principal_id) == []
