"""Deployments on a real Ray cluster (BASIN_COMPUTE=ray://…), scored through basin's gateway.

One cluster for the module (a head and a second node with its own address, 127.0.0.3, and its
own custom resource ``node2``), one basin server connected to it. Kept lean for a 2-core
machine: small object stores, 1-2 CPUs per node, replicas of a quarter CPU.
"""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
from collections import Counter
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
from basin.testing.ray_cluster import RayCluster, RayNode

pytestmark = [pytest.mark.timeout(900), pytest.mark.slow]

WAIT_S = 240  # upper bound for anything to happen on a busy 2-core machine (never a timing check)

ECHO = """
import json, os

def init():
    print("echo init for", os.environ.get("LABEL"), "pid", os.getpid())

def run(raw_data):
    return {"deployment": os.environ.get("LABEL"), "pid": os.getpid()}
"""

INSTANCE_TYPES = [
    # Placed only where the custom resource node2 is: the second node.
    {"name": "ray-node2", "cpus": 0.25, "memory_gib": 0.5, "resources": {"node2": 0.01}},
    {"name": "ray-any", "cpus": 0.25, "memory_gib": 0.5},
]


def wait_for(condition: Any, what: str, timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.2)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] not in "ZX"


def _replicas_under(node: RayNode) -> list[int]:
    """Live scoring-runtime processes that descend from a node's processes."""
    return [p for p in node.processes() if "basin.runtime" in _cmdline(p) and _alive(p)]


def _hosts_under(nodes: list[RayNode]) -> list[int]:
    return [p for n in nodes for p in n.processes() if "ReplicaHost" in _cmdline(p) and _alive(p)]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory, home: Path, build_cache: Path
) -> Iterator[RayCluster]:
    started = time.monotonic()
    with RayCluster(tmp_path_factory.mktemp("ray"), head_cpus=1) as made:
        # The second node sees neither the server's home nor its environments, as another
        # machine would not: it must fetch them from the server.
        made.add_node(cpus=2, resources={"node2": 1}, hide=[home, build_cache])
        print(f"Ray cluster (head + node2) up in {time.monotonic() - started:.1f} s")
        yield made


def _server_env(cluster: RayCluster, home: Path, build_cache: Path) -> dict[str, str]:
    types = home.parent / "instance-types.json"
    types.write_text(json.dumps(INSTANCE_TYPES))
    return {
        "BASIN_BUILD_CACHE": str(build_cache),
        "BASIN_COMPUTE": cluster.address,
        "BASIN_INSTANCE_TYPES_FILE": str(types),
    }


@pytest.fixture(scope="module")
def ray_server(cluster: RayCluster, home: Path, build_cache: Path) -> Iterator[ServerProcess]:
    with ServerProcess(home, extra_env=_server_env(cluster, home, build_cache)) as process:
        yield process


@pytest.fixture(scope="module")
def client(ray_server: ServerProcess) -> Iterator[MLClient]:
    with MLClient(
        None, None, "rg-ray", "ws-ray", server=ray_server.url, token=ray_server.token
    ) as made:
        made.resource_groups.create_or_update("rg-ray")
        made.workspaces.begin_create(Workspace(name="ws-ray")).result()
        yield made


@pytest.fixture(scope="module")
def code(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("echo") / "src"
    folder.mkdir()
    (folder / "score.py").write_text(ECHO)
    return folder


def _deployment(name: str, code: Path, instance_type: str, count: int, label: str) -> Any:
    return ManagedOnlineDeployment(
        name=name,
        endpoint_name="ray-ep",
        code_configuration=CodeConfiguration(code=str(code), scoring_script="score.py"),
        environment=Environment(image="basin:minimal"),
        instance_type=instance_type,
        instance_count=count,
        environment_variables={"LABEL": label},
    )


def _invoke(client: MLClient, deployment: str | None = None) -> httpx.Response:
    endpoint = client.online_endpoints.get("ray-ep")
    key = client.online_endpoints.get_keys("ray-ep").primary_key  # type: ignore[union-attr]
    headers = {"Authorization": f"Bearer {key}"}
    if deployment:
        headers["azureml-model-deployment"] = deployment
    assert endpoint.scoring_uri
    return httpx.post(endpoint.scoring_uri, json={}, headers=headers, timeout=30)


def _placed_on(client: MLClient, deployment: str) -> list[str]:
    logs = client.online_deployments.get_logs(deployment, "ray-ep", lines=2000)
    return re.findall(r"placed on node (\S+) ", logs)


def test_a_deployment_placed_on_the_second_node_answers_through_the_gateway(
    client: MLClient, cluster: RayCluster, code: Path
) -> None:
    started = time.monotonic()
    client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="ray-ep")).result()
    created = client.online_deployments.begin_create_or_update(
        _deployment("blue", code, "ray-node2", 1, "blue-1")
    ).result()
    print(f"deploy to Succeeded on Ray: {time.monotonic() - started:.1f} s")
    assert created.provisioning_state == "Succeeded", created.provisioning_message
    endpoint = client.online_endpoints.get("ray-ep")
    endpoint.traffic = {"blue": 100}
    client.online_endpoints.begin_create_or_update(endpoint).result()
    answer = _invoke(client)
    assert answer.status_code == 200, answer.text
    assert answer.json()["deployment"] == "blue-1"
    node2 = cluster.nodes[1]
    assert _placed_on(client, "blue") == [node2.ip]
    logs = client.online_deployments.get_logs("blue", "ray-ep", lines=2000)
    fetched = re.search(r"node 127\.0\.0\.3 fetched from the server: (.*)", logs)
    assert fetched, logs
    kinds = {name.split("-")[0] for name in fetched.group(1).split(", ")}
    assert kinds == {"env", "runtime", "code", "ca"}, fetched.group(1)
    # The process that answered runs on the second node (it descends from that node's raylet).
    assert answer.json()["pid"] in _replicas_under(node2)


def test_scale_one_three_one(client: MLClient, cluster: RayCluster, code: Path) -> None:
    node2 = cluster.nodes[1]
    scaled = client.online_deployments.begin_create_or_update(
        _deployment("blue", code, "ray-node2", 3, "blue-1")
    ).result()
    assert scaled.provisioning_state == "Succeeded", scaled.provisioning_message
    assert len(_replicas_under(node2)) == 3
    pids = Counter(_invoke(client).json()["pid"] for _ in range(30))
    assert len(pids) == 3  # the gateway reaches every replica
    scaled = client.online_deployments.begin_create_or_update(
        _deployment("blue", code, "ray-node2", 1, "blue-1")
    ).result()
    assert scaled.provisioning_state == "Succeeded", scaled.provisioning_message
    wait_for(lambda: len(_replicas_under(node2)) == 1, "two replicas to stop")
    assert _invoke(client).status_code == 200


def test_a_crashed_replica_process_is_restarted_on_its_node(
    client: MLClient, cluster: RayCluster
) -> None:
    node2 = cluster.nodes[1]
    (pid,) = _replicas_under(node2)
    os.kill(pid, signal.SIGKILL)

    def answered_by_a_new_process() -> bool:
        answer = _invoke(client)
        return answer.status_code == 200 and answer.json()["pid"] not in (pid, None)

    wait_for(answered_by_a_new_process, "the replica to be restarted")
    assert _replicas_under(node2) == [_invoke(client).json()["pid"]]  # same node, new process
    logs = client.online_deployments.get_logs("blue", "ray-ep", lines=2000)
    assert "exited with code -9" in logs and "restarted (pid" in logs


def test_a_rolling_update_fails_no_request(client: MLClient, code: Path) -> None:
    outcomes: Counter[str] = Counter()
    stop = threading.Event()

    def load() -> None:
        # Bounded: at most 3000 requests or until the update is done.
        for _ in range(3000):
            if stop.is_set():
                return
            try:
                answer = _invoke(client)
                outcomes[
                    answer.json()["deployment"]
                    if answer.status_code == 200
                    else str(answer.status_code)
                ] += 1
            except httpx.HTTPError as error:
                outcomes[type(error).__name__] += 1

    loader = threading.Thread(target=load)
    loader.start()
    try:
        wait_for(lambda: outcomes["blue-1"] > 0, "the load to start")
        updated = client.online_deployments.begin_create_or_update(
            _deployment("blue", code, "ray-node2", 1, "blue-2")
        ).result()
        assert updated.provisioning_state == "Succeeded", updated.provisioning_message
        wait_for(lambda: outcomes["blue-2"] > 3, "the new revision to answer")
    finally:
        stop.set()
        loader.join(60)
    assert set(outcomes) == {"blue-1", "blue-2"}, outcomes  # nothing failed


def test_a_lost_node_s_replicas_are_rescheduled_and_traffic_resumes(
    client: MLClient, cluster: RayCluster, code: Path
) -> None:
    created = client.online_deployments.begin_create_or_update(
        _deployment("green", code, "ray-any", 2, "green")
    ).result()
    assert created.provisioning_state == "Succeeded", created.provisioning_message
    head, node2 = cluster.nodes[0], cluster.nodes[1]
    assert sorted(_placed_on(client, "green")) == sorted([head.ip, node2.ip])  # SPREAD
    endpoint = client.online_endpoints.get("ray-ep")
    endpoint.traffic = {"blue": 0, "green": 100}
    client.online_endpoints.begin_create_or_update(endpoint).result()
    assert _invoke(client).status_code == 200

    node2.kill()  # by its pid: the node and everything it ran, at once

    def green_serves_twice_from_the_head() -> bool:
        replicas = set()
        for _ in range(10):
            answer = _invoke(client, "green")
            if answer.status_code != 200:
                return False
            replicas.add(answer.json()["pid"])
        return len(replicas) == 2 and replicas <= set(_replicas_under(head))

    wait_for(green_serves_twice_from_the_head, "green's lost replica to be rescheduled")
    assert _placed_on(client, "green").count(head.ip) >= 2
    # blue can only run where node2 was: it waits, and show says why.
    wait_for(
        lambda: (
            "Not enough quota"
            in (client.online_deployments.get("blue", "ray-ep").provisioning_message or "")
        ),
        "blue to say why it waits",
    )


def test_nothing_is_left_after_delete_and_server_stop(
    client: MLClient, cluster: RayCluster, ray_server: ServerProcess, code: Path
) -> None:
    head = cluster.nodes[0]
    assert _replicas_under(head)
    client.online_endpoints.begin_delete("ray-ep").result()
    wait_for(lambda: not _replicas_under(head), "the replicas to stop")
    wait_for(lambda: not _hosts_under(cluster.nodes), "the replica actors to end")

    # A deployment left running when the server stops goes with it.
    client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="ray-ep")).result()
    created = client.online_deployments.begin_create_or_update(
        _deployment("red", code, "ray-any", 1, "red")
    ).result()
    assert created.provisioning_state == "Succeeded", created.provisioning_message
    assert _replicas_under(head) and _hosts_under(cluster.nodes)
    assert ray_server.stop() == 0
    wait_for(lambda: not _replicas_under(head), "the replica to stop with the server")
    wait_for(lambda: not _hosts_under(cluster.nodes), "nothing of the server on the cluster")


def test_nothing_is_left_when_the_server_is_killed(
    cluster: RayCluster, home: Path, build_cache: Path, code: Path
) -> None:
    """SIGKILL, not a stop: the server cleans nothing up itself. Its actors are not detached, so
    Ray ends them with their owner, and each actor's replica process goes with its actor.
    (Placed on any node: the second one may be gone, killed by the test above.)"""
    env = _server_env(cluster, home, build_cache)

    def replicas() -> list[int]:
        return [p for node in cluster.nodes for p in _replicas_under(node)]

    with ServerProcess(home, extra_env=env) as server:
        with MLClient(
            None, None, "rg-ray", "ws-ray", server=server.url, token=server.token
        ) as client:
            client.resource_groups.create_or_update("rg-ray")
            if not [w for w in client.workspaces.list() if w.name == "ws-ray"]:
                client.workspaces.begin_create(Workspace(name="ws-ray")).result()
            client.online_endpoints.begin_create_or_update(
                ManagedOnlineEndpoint(name="ray-ep")
            ).result()
            made = client.online_deployments.begin_create_or_update(
                _deployment("doomed", code, "ray-any", 1, "doomed")
            ).result()
            assert made.provisioning_state == "Succeeded", made.provisioning_message
        assert replicas() and _hosts_under(cluster.nodes)
        assert server.process is not None
        os.kill(server.process.pid, signal.SIGKILL)  # the server alone, not its group
        server.process.wait()
        wait_for(lambda: not replicas(), "the replicas to end with the killed server")
        wait_for(lambda: not _hosts_under(cluster.nodes), "the actors to end with their owner")
