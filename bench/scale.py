"""Does the gateway scale with replicas? Requests/s through it vs the replicas reached directly.

For 1, 2, 4 … replicas (up to ``--max-replicas``, by default the machine's CPUs), starts that
many replicas (``python -m basin.runtime`` serving an echo script) and one gateway process with
``--workers W`` (by default one per replica, at most one per CPU), then measures, in rounds that
alternate the two (best round kept):

- direct: one ``wrk`` per replica at once, each to its own replica; the sum of their req/s is
  what the replicas can serve together;
- gateway: as many ``wrk`` at once, all to the gateway's scoring URL (it spreads them over the
  replicas); their sum is what clients get through the gateway.

Prints the ratio gateway / direct for each step (goal: >= 0.8 at every step the cores allow),
with the date and the load average before and after. On a 2-core machine the replicas, the
gateway and wrk share two cores, so steps past 2 measure contention, not the gateway; run it on
a larger machine to see the curve:

    .venv/bin/python bench/scale.py [--max-replicas 8] [--duration 3] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _conditions import conditions, run_reporting_conditions
from _wrk import Result, ensure_wrk, run_wrk
from gateway import ECHO, KEY, PYTHON, SCRIPTS, free_port, log, stop, wait_ready, write_lua

ROOT = Path(__file__).resolve().parents[1]
_ALL_CPUS = f"0-{(os.cpu_count() or 1) - 1}"  # wrk runs anywhere: this bench measures sharing


def start_replicas(count: int, work: Path) -> tuple[list[subprocess.Popen[bytes]], list[int]]:
    script = work / "echo_score.py"
    script.write_text(ECHO)
    procs, ports = [], []
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZUREML_", "AML_"))}
    for index in range(count):
        port = free_port()
        log_path = work / f"replica-{index}.log"
        procs.append(
            subprocess.Popen(
                [
                    *(PYTHON, "-m", "basin.runtime", "--entry_script", str(script)),
                    *("--port", str(port), "--uds", str(work / f"replica-{index}.sock")),
                ],
                cwd=work,
                env=env,
                stdout=log_path.open("w"),
                stderr=subprocess.STDOUT,
            )
        )
        ports.append(port)
    for proc, port, index in zip(procs, ports, range(count), strict=True):
        wait_ready(proc, f"http://127.0.0.1:{port}/", "replica", work / f"replica-{index}.log")
    return procs, ports


def start_gateway(count: int, workers: int, work: Path) -> tuple[subprocess.Popen[bytes], int]:
    from basin.gateway import DeploymentRoute, EndpointRoute, RoutingTable

    # Over the replicas' Unix sockets, as basin's server has its gateway reach local replicas.
    replicas = tuple(f"unix:{work / f'replica-{index}.sock'}" for index in range(count))
    route = EndpointRoute(
        "bench",
        keys=(KEY,),
        traffic={"blue": 100},
        deployments={"blue": DeploymentRoute(replicas, max_concurrent_requests_per_instance=64)},
    )
    table_path = work / "routes.json"
    table_path.write_text(RoutingTable([route]).to_json())
    table_path.chmod(0o600)
    port = free_port()
    log_path = work / "gateway.log"
    cmd = [PYTHON, "-m", "basin.gateway", "--table", str(table_path), "--port", str(port)]
    proc = subprocess.Popen(
        [*cmd, "--workers", str(workers)], stdout=log_path.open("w"), stderr=subprocess.STDOUT
    )
    wait_ready(proc, f"http://127.0.0.1:{port}/health", "gateway", log_path)
    return proc, port


def load(wrk: str, urls: list[str], lua: Path, conns: int, seconds: int) -> Result:
    """One wrk per URL, all at once; the sum of their req/s (latencies: the worst p50/p99)."""
    with ThreadPoolExecutor(len(urls)) as pool:
        results = list(
            pool.map(lambda url: run_wrk(wrk, url, lua, conns, seconds, cpus=_ALL_CPUS), urls)
        )
    return Result(
        sum(r.rps for r in results),
        max(r.p50_ms for r in results),
        max(r.p99_ms for r in results),
        sum(r.errors for r in results),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    cpus = os.cpu_count() or 1
    parser.add_argument("--max-replicas", type=int, default=max(2, cpus))
    parser.add_argument("--gateway-workers", type=int, default=0, help="0: one per replica")
    parser.add_argument("--connections", type=int, default=8, help="per wrk")
    parser.add_argument("--duration", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    wrk = ensure_wrk()
    body = SCRIPTS["echo"][1]
    steps = [n for n in (1, 2, 4, 8, 16, 32, 64) if n <= args.max_replicas]
    rows = []
    for count in steps:
        workers = args.gateway_workers or min(count, cpus)
        with tempfile.TemporaryDirectory(prefix="basin-scale-bench-") as tmp:
            work = Path(tmp)
            running: list[subprocess.Popen[bytes]] = []
            try:
                replicas, ports = start_replicas(count, work)
                running += replicas
                gateway, gateway_port = start_gateway(count, workers, work)
                running.append(gateway)
                direct_lua, gateway_lua = work / "direct.lua", work / "gateway.lua"
                write_lua(direct_lua, body, None)
                write_lua(gateway_lua, body, KEY)
                direct_urls = [f"http://127.0.0.1:{p}/score" for p in ports]
                gateway_urls = [f"http://127.0.0.1:{gateway_port}/endpoints/bench/score"] * count
                load(wrk, gateway_urls, gateway_lua, args.connections, 1)  # warm up
                best: dict[str, Result] = {}
                for _ in range(args.rounds):
                    for target, urls, lua in (
                        ("direct", direct_urls, direct_lua),
                        ("gateway", gateway_urls, gateway_lua),
                    ):
                        found = load(wrk, urls, lua, args.connections, args.duration)
                        if target not in best or found.rps > best[target].rps:
                            best[target] = found
                direct, through = best["direct"], best["gateway"]
                ratio = through.rps / direct.rps if direct.rps else 0.0
                log(
                    f"{count} replicas, {workers} gateway workers: direct {direct.rps:,.0f} req/s, "
                    f"gateway {through.rps:,.0f} req/s, ratio {ratio:.2f}  {conditions()}"
                )
                rows.append((count, workers, direct, through, ratio))
            finally:
                for proc in reversed(running):
                    stop(proc)
    lines = [
        f"Scale benchmark {conditions()}, wrk -c{args.connections} per replica, best of "
        f"{args.rounds} x {args.duration}s",
        "",
        "| replicas | gateway workers | direct (sum) req/s | gateway req/s | gateway / direct |",
        "|---:|---:|---:|---:|---:|",
    ]
    for count, workers, direct, through, ratio in rows:
        errors = f" ({through.errors} errors)" if through.errors else ""
        lines.append(
            f"| {count} | {workers} | {direct.rps:,.0f} | {through.rps:,.0f}{errors} | {ratio:.2f} |"
        )
    log("\n" + "\n".join(lines))
    return 0


if __name__ == "__main__":
    run_reporting_conditions(main)
