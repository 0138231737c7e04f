"""Create call -> first answered request: on the local back end and on a Ray cluster, side by side.

Starts a Ray cluster on this machine (a head, and a second node that sees none of the server's
files, as another machine would not: it fetches the environment, code and CA from the server),
and two basin servers sharing one environment cache: one with ``BASIN_COMPUTE=local://``, one
with the cluster's ``ray://`` address. After one deployment has built the environment, times
the SDK's ``begin_create_or_update`` to the first 200 through the gateway for:

- local: a replica process on this machine;
- Ray, head node: an actor placed where the server's files are;
- Ray, second node: an actor on the node that must fetch the artifacts first.

    .venv/bin/python bench/ray_deploy.py [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from _conditions import conditions, run_reporting_conditions

from basin import MLClient
from basin.entities import (
    CodeConfiguration,
    Environment,
    ManagedOnlineDeployment,
    ManagedOnlineEndpoint,
    Workspace,
)
from basin.testing import ServerProcess
from basin.testing.ray_cluster import RayCluster

ECHO = "def init():\n    pass\n\ndef run(raw_data):\n    return raw_data\n"
TYPES = [
    {"name": "ray-head", "cpus": 0.25, "memory_gib": 0.5, "resources": {"head": 0.01}},
    {"name": "ray-node2", "cpus": 0.25, "memory_gib": 0.5, "resources": {"node2": 0.01}},
]


def first_answer(client: MLClient, code: Path, name: str, instance_type: str | None) -> float:
    """Seconds from the create call to the first 200 through the gateway."""
    endpoint = client.online_endpoints.get("bench")
    key = client.online_endpoints.get_keys("bench").primary_key  # type: ignore[union-attr]
    assert endpoint.scoring_uri
    headers = {"Authorization": f"Bearer {key}", "azureml-model-deployment": name}
    started = time.perf_counter()
    client.online_deployments.begin_create_or_update(
        ManagedOnlineDeployment(
            name=name,
            endpoint_name="bench",
            code_configuration=CodeConfiguration(code=str(code), scoring_script="score.py"),
            environment=Environment(image="basin:minimal"),
            instance_type=instance_type,
        )
    )
    with httpx.Client(timeout=30) as http:
        while time.perf_counter() - started < 600:
            if http.post(endpoint.scoring_uri, content="{}", headers=headers).status_code == 200:
                return time.perf_counter() - started
            time.sleep(0.02)
    raise TimeoutError(f"{name} did not answer within 600 s")


def prepare(server: ServerProcess) -> MLClient:
    client = MLClient(None, None, "bench-rg", "bench-ws", server=server.url, token=server.token)
    client.resource_groups.create_or_update("bench-rg")
    client.workspaces.begin_create(Workspace(name="bench-ws")).result()
    client.online_endpoints.begin_create_or_update(ManagedOnlineEndpoint(name="bench")).result()
    return client


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    results: dict[str, list[float]] = {"local": [], "Ray, head node": [], "Ray, second node": []}
    with tempfile.TemporaryDirectory(prefix="basin-ray-bench-") as tmp:
        work = Path(tmp)
        cache, local_home, ray_home = work / "cache", work / "local", work / "ray"
        for folder in (cache, local_home, ray_home):
            folder.mkdir()
        code = work / "code"
        code.mkdir()
        (code / "score.py").write_text(ECHO)
        types = work / "types.json"
        types.write_text(json.dumps(TYPES))
        env = {"BASIN_BUILD_CACHE": str(cache), "BASIN_INSTANCE_TYPES_FILE": str(types)}
        with ServerProcess(local_home, extra_env=env) as local:
            client = prepare(local)
            first_answer(client, code, "warm", None)  # builds the environment once
            for index in range(args.rounds):
                results["local"].append(first_answer(client, code, f"local{index}", None))
            client.close()
        with RayCluster(work / "cluster", head_cpus=2, head_resources={"head": 1}) as cluster:
            cluster.add_node(cpus=2, resources={"node2": 1}, hide=[ray_home, cache])
            head_env = {**env, "BASIN_COMPUTE": cluster.address}
            with ServerProcess(ray_home, extra_env=head_env) as ray_server:
                client = prepare(ray_server)
                for index in range(args.rounds):
                    results["Ray, second node"].append(
                        first_answer(client, code, f"node{index}", "ray-node2")
                    )
                    results["Ray, head node"].append(
                        first_answer(client, code, f"head{index}", "ray-head")
                    )
                client.close()
    lines = [
        f"Create -> first 200 {conditions()}, echo on basin:minimal, environment already built",
        "",
        "| back end | seconds (each round) |",
        "|---|---|",
    ]
    for case, seconds in results.items():
        lines.append(f"| {case} | {', '.join(f'{s:.1f}' for s in seconds)} |")
    print("\n" + "\n".join(lines), flush=True)
    return 0


if __name__ == "__main__":
    run_reporting_conditions(main)
