"""The server reachable beyond loopback: the API over TLS at the advertised name, and replicas
given that name (not 127.0.0.1) for the managed identity endpoint."""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from basin import MLClient
from basin.entities import (
    CodeConfiguration,
    Environment,
    ManagedOnlineDeployment,
    ManagedOnlineEndpoint,
    Workspace,
)
from basin.testing import ServerProcess

pytestmark = pytest.mark.timeout(600)

# Gets a token from MSI_ENDPOINT the way azure-identity's raw protocol does, over TLS checked
# against the CA bundle the replica is given.
MSI_PROBE = """
import json, os, ssl, urllib.request

def init():
    pass

def run(raw_data):
    url = os.environ["MSI_ENDPOINT"] + "?api-version=2017-09-01&resource=https://storage.azure.com/"
    request = urllib.request.Request(url, headers={"secret": os.environ["MSI_SECRET"]})
    context = ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
    answer = json.load(urllib.request.urlopen(request, context=context))
    return {"msi_endpoint": os.environ["MSI_ENDPOINT"], "token_type": answer["token_type"]}
"""


@pytest.fixture(scope="module")
def tls_server(
    tmp_path_factory: pytest.TempPathFactory, build_cache: Path
) -> Iterator[ServerProcess]:
    home = tmp_path_factory.mktemp("home")
    env = {
        "BASIN_BUILD_CACHE": str(build_cache),
        "BASIN_API_TLS": "true",
        "BASIN_ADVERTISE_HOST": "localhost",
    }
    with ServerProcess(home, extra_env=env) as process:
        yield process


def test_the_api_is_served_over_tls_at_the_advertised_name(tls_server: ServerProcess) -> None:
    assert tls_server.url.startswith("https://localhost:")
    credentials = tls_server.credentials
    assert credentials["server"] == tls_server.url
    trust = ssl.create_default_context(cafile=credentials["ca_file"])
    answer = httpx.get(f"{tls_server.url}/basin/health", verify=trust)
    assert answer.status_code == 200
    plain = tls_server.url.replace("https://", "http://")
    with pytest.raises(httpx.HTTPError):  # no plain HTTP where tokens travel
        httpx.get(f"{plain}/basin/health", timeout=10)


def test_replicas_get_the_advertised_msi_endpoint_over_tls(
    tls_server: ServerProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = tmp_path / "src"
    code.mkdir()
    (code / "score.py").write_text(MSI_PROBE)
    monkeypatch.setenv("BASIN_HOME", str(tls_server.home))
    with MLClient(None, None, "rg-net", "ws-net") as client:  # finds the CA in credentials.json
        client.resource_groups.create_or_update("rg-net")
        client.workspaces.begin_create(Workspace(name="ws-net")).result()
        client.online_endpoints.begin_create_or_update(
            ManagedOnlineEndpoint(name="net-ep")
        ).result()
        created = client.online_deployments.begin_create_or_update(
            ManagedOnlineDeployment(
                name="blue",
                endpoint_name="net-ep",
                code_configuration=CodeConfiguration(code=str(code), scoring_script="score.py"),
                environment=Environment(image="basin:minimal"),
                instance_type="Standard_F2s_v2",
            )
        ).result()
        assert created.provisioning_state == "Succeeded", created.provisioning_message
        endpoint = client.online_endpoints.get("net-ep")
        key = client.online_endpoints.get_keys("net-ep").primary_key  # type: ignore[union-attr]
        assert endpoint.scoring_uri
        answer = httpx.post(
            endpoint.scoring_uri,
            content=json.dumps({}),
            headers={"Authorization": f"Bearer {key}", "azureml-model-deployment": "blue"},
            timeout=60,
        )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["msi_endpoint"].startswith("https://localhost:")
    assert body["msi_endpoint"].endswith("/basin/msi/token")
    assert body["token_type"] == "Bearer"
