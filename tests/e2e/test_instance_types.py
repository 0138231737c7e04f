"""Instance types through a real server on the local back end: GPUs (simulated) are exclusive,
and a deployment that does not fit waits with the reason in ``show``."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
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
    Workspace,
)
from basin.testing import ServerProcess

pytestmark = pytest.mark.timeout(600)

SCRIPT = """
import os

def init():
    pass

def run(raw_data):
    return {"gpus": os.environ.get("CUDA_VISIBLE_DEVICES"), "pid": os.getpid()}
"""


@pytest.fixture(scope="module")
def gpu_server(
    tmp_path_factory: pytest.TempPathFactory, build_cache: Path
) -> Iterator[ServerProcess]:
    home = tmp_path_factory.mktemp("home")
    types = home.parent / "types.json"
    types.write_text(json.dumps([{"name": "gpu-small", "cpus": 1, "memory_gib": 1, "gpus": 1}]))
    env = {
        "BASIN_BUILD_CACHE": str(build_cache),
        "BASIN_GPUS": '["0"]',  # one simulated GPU
        "BASIN_INSTANCE_TYPES_FILE": str(types),
    }
    with ServerProcess(home, extra_env=env) as process:
        yield process


def _deployment(name: str, code: Path, instance_type: str) -> Any:
    return ManagedOnlineDeployment(
        name=name,
        endpoint_name="gpu-ep",
        code_configuration=CodeConfiguration(code=str(code), scoring_script="score.py"),
        environment=Environment(image="basin:minimal"),
        instance_type=instance_type,
    )


def _code(tmp_path: Path) -> Path:
    code = tmp_path / "src"
    code.mkdir()
    (code / "score.py").write_text(SCRIPT)
    return code


def _endpoint(client: MLClient) -> tuple[str, str]:
    """The endpoint "gpu-ep", made in the client's workspace: its scoring URI and key."""
    client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="gpu-ep")).result()
    key = client.online_endpoints.get_keys("gpu-ep").primary_key  # type: ignore[union-attr]
    uri = client.online_endpoints.get("gpu-ep").scoring_uri
    assert uri and key
    return uri, key


def _score(uri: str, key: str, deployment: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}", "azureml-model-deployment": deployment}
    return httpx.post(uri, json={}, headers=headers, timeout=30)


def test_one_gpu_two_deployments(gpu_server: ServerProcess, tmp_path: Path) -> None:
    code = _code(tmp_path)
    with MLClient(
        None, None, "rg-gpu", "ws-gpu", server=gpu_server.url, token=gpu_server.token
    ) as client:
        client.resource_groups.create_or_update("rg-gpu")
        client.workspaces.begin_create(Workspace(name="ws-gpu")).result()
        uri, key = _endpoint(client)

        def score(deployment: str) -> httpx.Response:
            return _score(uri, key, deployment)

        first = client.online_deployments.begin_create_or_update(
            _deployment("first", code, "gpu-small")
        ).result()
        assert first.provisioning_state == "Succeeded", first.provisioning_message
        assert score("first").json()["gpus"] == "0"

        client.online_deployments.begin_create_or_update(_deployment("second", code, "gpu-small"))
        deadline = time.monotonic() + 120
        while True:
            second = client.online_deployments.get("second", "gpu-ep")
            if "Not enough quota" in (second.provisioning_message or ""):
                break
            assert time.monotonic() < deadline, second.provisioning_message
            time.sleep(0.2)
        assert second.provisioning_state == "Creating"
        assert "needs 1 GPU; 0 of this machine's 1 are free" in (second.provisioning_message or "")
        assert score("second").status_code != 200  # nothing runs for it: no GPU over-committed

        cpu = client.online_deployments.begin_create_or_update(
            _deployment("cpu", code, "Standard_F2s_v2")
        ).result()
        assert cpu.provisioning_state == "Succeeded"
        assert score("cpu").json()["gpus"] == ""  # a CPU size sees no GPU

        client.online_deployments.begin_delete("first", "gpu-ep").result()
        deadline = time.monotonic() + 120
        while client.online_deployments.get("second", "gpu-ep").provisioning_state != "Succeeded":
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert client.online_deployments.get("second", "gpu-ep").provisioning_message is None
        assert score("second").json()["gpus"] == "0"  # the released GPU, now its own


def _allowed_cpus(pid: int) -> set[int]:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Cpus_allowed_list:"):
            cpus: set[int] = set()
            for part in line.split(":", 1)[1].strip().split(","):
                first, _, last = part.partition("-")
                cpus.update(range(int(first), int(last or first) + 1))
            return cpus
    raise AssertionError(f"no Cpus_allowed_list for {pid}")


def _gateway_pid(server: ServerProcess) -> int:
    assert server.process is not None
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if (
            int(stat.rsplit(")", 1)[1].split()[1]) == server.process.pid
            and b"basin.gateway" in argv
        ):
            return int(entry.name)
    raise AssertionError("no gateway process under the server")


def test_the_gateway_runs_on_a_cpu_the_replicas_avoid_and_deletes_free_them(
    tmp_path: Path, build_cache: Path
) -> None:
    code = _code(tmp_path)
    available = sorted(os.sched_getaffinity(0))
    env = {"BASIN_BUILD_CACHE": str(build_cache)}
    with (
        ServerProcess(tmp_path / "home", extra_env=env) as server,
        MLClient(None, None, "rg-cpus", "ws-cpus", server=server.url, token=server.token) as client,
    ):
        gateway = _allowed_cpus(_gateway_pid(server))
        if len(available) < 2:  # one CPU: nothing to keep apart, the gateway is not pinned
            assert gateway == set(available)
        else:
            assert gateway == {available[-1]}  # the last CPU, its own
        client.resource_groups.create_or_update("rg-cpus")
        client.workspaces.begin_create(Workspace(name="ws-cpus")).result()
        uri, key = _endpoint(client)

        def a_replica(name: str) -> int:
            """A 1-vCPU deployment's replica (its pid)."""
            made = client.online_deployments.begin_create_or_update(
                _deployment(name, code, "Standard_DS1_v2")
            ).result()
            assert made.provisioning_state == "Succeeded", made.provisioning_message
            return int(_score(uri, key, name).json()["pid"])

        pid = a_replica("small")
        replica = _allowed_cpus(pid)
        assert len(replica) == 1
        if len(available) >= 2:
            assert not replica & gateway  # a CPU the gateway does not run on

        # As on Azure, a delete returns once the deployment's resources are free: its replica
        # has stopped (it drains for a second first), so its CPUs and GPUs are free again.
        client.online_deployments.begin_delete("small", "gpu-ep").result()
        assert not _running(pid)
        pid = a_replica("again")
        client.online_endpoints.begin_delete("gpu-ep").result()  # and an endpoint's
        assert not _running(pid)

        uri, key = _endpoint(client)
        pid = a_replica("third")
        client.workspaces.begin_delete("ws-cpus").result()  # a workspace's (its endpoints go)
        assert not _running(pid)
        client.workspaces.begin_delete("ws-cpus", permanently_delete=True).result()  # the name
        client.workspaces.begin_create(Workspace(name="ws-cpus")).result()
        uri, key = _endpoint(client)
        pid = a_replica("third")
        client.resource_groups.begin_delete("rg-cpus").result()  # and a group's
        assert not _running(pid)


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")
