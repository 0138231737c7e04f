"""End to end: deployment start-up time, and the gateway against calling a replica directly.

    .venv/bin/python bench/endpoint.py [--seconds 5] [--rounds 1]

(a) Seconds from the ``online-deployment create`` call (SDK ``begin_create_or_update``) to the
first answered request through the gateway: with a fresh environment (built from an empty cache)
and with a cached one. Azure ML documents 8-14 minutes for a managed deployment.
(b) Requests/s and p50/p99 through the gateway and straight to the replica, same scoring script
(an echo and a scikit-learn predict), one replica (Standard_DS1_v2: 1 vCPU, which the server
pins to a CPU its gateway does not use), wrk in a separate process on CPU 1.
With ``--rounds N`` each figure is the median of N runs that alternate direct and gateway (a
single run moves by ±0.1x on a shared 2-core machine).
Prints markdown tables and writes them to bench/results/endpoint.md.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from _conditions import run_reporting_conditions
from _wrk import Result, ensure_wrk, run_wrk, write_lua

from basin import MLClient
from basin.entities import (
    CodeConfiguration,
    Environment,
    ManagedOnlineDeployment,
    ManagedOnlineEndpoint,
    Model,
    OnlineRequestSettings,
    Workspace,
)
from basin.testing import ServerProcess

HERE = Path(__file__).parent
SCRIPTS = {
    "echo": HERE / "serving" / "echo_score.py",
    "sklearn": HERE / "serving" / "sklearn_score.py",
}
SKLEARN_BODY = json.dumps(
    {"data": [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]]}
)
CONDA = {"dependencies": ["python=3.11", "numpy", "scikit-learn", {"pip": ["joblib"]}]}


def train_model(folder: Path) -> None:
    import joblib
    from sklearn.datasets import make_regression
    from sklearn.linear_model import Ridge

    x, y = make_regression(n_samples=500, n_features=10, random_state=0)
    (folder / "model").mkdir(parents=True, exist_ok=True)
    joblib.dump(Ridge().fit(x, y), folder / "model" / "sklearn_regression_model.pkl")


def code_folder(work: Path, kind: str) -> Path:
    folder = work / f"code-{kind}"
    folder.mkdir()
    (folder / "score.py").write_text(SCRIPTS[kind].read_text())
    return folder


def deployment(name: str, code: Path, model: bool) -> ManagedOnlineDeployment:
    return ManagedOnlineDeployment(
        name=name,
        endpoint_name="bench",
        model="azureml:bench-model:1" if model else None,
        code_configuration=CodeConfiguration(code=str(code), scoring_script="score.py"),
        environment=Environment(image="basin:minimal", conda_file=CONDA),
        # 1 vCPU: the server pins the replica to a CPU the gateway does not use, so direct and
        # gateway runs see one layout (unpinned, direct moved 7.6-10k req/s on echo at 1 with
        # the replica landing on wrk's CPU or not)
        instance_type="Standard_DS1_v2",
        instance_count=1,
        request_settings=OnlineRequestSettings(
            max_concurrent_requests_per_instance=64, request_timeout_ms=60000
        ),
    )


def first_answer(client: MLClient, item: ManagedOnlineDeployment, uri: str, key: str) -> float:
    """Seconds from the create call to the first 200 through the gateway."""
    headers = {"Authorization": f"Bearer {key}", "azureml-model-deployment": item.name}
    started = time.perf_counter()
    client.online_deployments.begin_create_or_update(item)
    with httpx.Client(timeout=30) as http:
        while True:
            if http.post(uri, content=SKLEARN_BODY, headers=headers).status_code == 200:
                return time.perf_counter() - started
            time.sleep(0.02)


def median_of(results: list[Result]) -> Result:
    """Each figure's median over the rounds (errors: their sum)."""
    return Result(
        statistics.median(r.rps for r in results),
        statistics.median(r.p50_ms for r in results),
        statistics.median(r.p99_ms for r in results),
        sum(r.errors for r in results),
    )


def replica_port(client: MLClient, name: str) -> int:
    ports = re.findall(
        r"started \(pid \d+, port (\d+)\)", client.online_deployments.get_logs(name, "bench")
    )
    return int(ports[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=1, help="runs of each, alternating")
    args = parser.parse_args()
    wrk = ensure_wrk()
    with tempfile.TemporaryDirectory(prefix="basin-bench-") as tmp:
        work = Path(tmp)
        train_model(work / "model-files")
        server = ServerProcess(
            work / "home", extra_env={"BASIN_BUILD_CACHE": str(work / "build-cache")}
        )
        with server:
            client = MLClient(
                None, None, "bench-rg", "bench-ws", server=server.url, token=server.token
            )
            client.resource_groups.create_or_update("bench-rg")
            client.workspaces.begin_create(Workspace(name="bench-ws")).result()
            client.models.create_or_update(
                Model(name="bench-model", version="1", path=str(work / "model-files" / "model"))
            )
            endpoint = client.online_endpoints.begin_create_or_update(
                ManagedOnlineEndpoint(name="bench")
            ).result()
            key = client.online_endpoints.get_keys("bench").primary_key  # type: ignore[union-attr]
            assert endpoint.scoring_uri
            sklearn_code, echo_code = code_folder(work, "sklearn"), code_folder(work, "echo")
            fresh = first_answer(
                client, deployment("sklearn", sklearn_code, True), endpoint.scoring_uri, key
            )
            # Before "cachedenv": replicas are pinned to the least used CPUs (the gateway's counted
            # as used once), and the two measured below get the CPU the gateway does not use.
            first_answer(client, deployment("echo", echo_code, False), endpoint.scoring_uri, key)
            cached = first_answer(
                client, deployment("cachedenv", sklearn_code, True), endpoint.scoring_uri, key
            )
            client.online_deployments.begin_delete("cachedenv", "bench").result()
            startup = f"| fresh environment (built from an empty cache) | {fresh:.1f} s |\n| cached environment | {cached:.1f} s |\n"
            print(
                "\n(a) create call -> first answered request\n\n| case | seconds |\n|---|---:|\n"
                + startup
            )

            rows = []
            for kind, body in (("echo", json.dumps({"x": [1, 2, 3]})), ("sklearn", SKLEARN_BODY)):
                name = "echo" if kind == "echo" else "sklearn"
                direct_url = f"http://127.0.0.1:{replica_port(client, name)}/score"
                direct_lua = write_lua(work / f"{kind}-direct.lua", body)
                gateway_lua = write_lua(
                    work / f"{kind}-gw.lua",
                    body,
                    {"Authorization": f"Bearer {key}", "azureml-model-deployment": name},
                )
                for conns in (1, 8, 32):
                    directs, throughs = [], []
                    for _ in range(args.rounds):
                        directs.append(run_wrk(wrk, direct_url, direct_lua, conns, args.seconds))
                        throughs.append(
                            run_wrk(wrk, endpoint.scoring_uri, gateway_lua, conns, args.seconds)
                        )
                    direct, through = median_of(directs), median_of(throughs)
                    rows.append(
                        f"| {kind} | {conns} | {direct.rps:,.0f} | {through.rps:,.0f} | {through.rps / direct.rps:.2f}x "
                        f"| {direct.p50_ms:.2f} / {direct.p99_ms:.2f} | {through.p50_ms:.2f} / {through.p99_ms:.2f} | {direct.errors + through.errors} |"
                    )
                    print(rows[-1], flush=True)
            rounds = f"Medians of {args.rounds} rounds alternating direct and gateway.\n\n"
            table = (rounds if args.rounds > 1 else "") + (
                "| script | concurrency | direct req/s | gateway req/s | gateway / direct | direct p50 / p99 ms | gateway p50 / p99 ms | errors |\n"
                "|---|---:|---:|---:|---:|---:|---:|---:|\n" + "\n".join(rows) + "\n"
            )
            print("\n(b) through the gateway vs straight to the replica\n\n" + table)
            client.close()
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "endpoint.md").write_text(
        "## create -> first answer\n\n| case | seconds |\n|---|---:|\n"
        + startup
        + "\n## gateway vs direct\n\n"
        + table
    )
    return 0


if __name__ == "__main__":
    run_reporting_conditions(main)
