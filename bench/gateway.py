"""Gateway overhead: a replica called directly vs through ``basin.gateway``, side by side.

Starts one replica (``python -m basin.runtime`` serving a scoring script: an echo, and a
scikit-learn predict in the Azure ML sample style) and one gateway process
(``python -m basin.gateway``) routing an endpoint to it, then loads each target with ``wrk`` (a
separate process; Debian package, installed if absent) POSTing the same JSON at concurrency 1, 8
and 32, in rounds that alternate direct / gateway (the best round of each cell is kept, to damp
load from elsewhere on the machine). With two or more CPUs the replica runs on CPU 0 and wrk and
the gateway on the rest, so the replica gets the same core either way. Prints requests/s, p50 and
p99 and the gateway / direct ratios as markdown tables.

    .venv/bin/python bench/gateway.py [--duration 2] [--rounds 3] [--scripts echo,sklearn]
    .venv/bin/python bench/gateway.py clients [--requests 5000]

``clients`` compares HTTP clients for the gateway's replica side: basin's own (asyncio +
httptools, ``basin.gateway.upstream``), ``httpx.AsyncClient`` and ``aiohttp`` (when importable),
each in its own process POSTing to the same replica; it reports requests/s and the client
process's CPU time per request.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _conditions import run_reporting_conditions
from _wrk import Result, ensure_wrk, pin
from _wrk import run_wrk as wrk_run
from _wrk import write_lua as wrk_lua

ROOT = Path(__file__).resolve().parents[1]
# Replica and gateway run on the project's venv even when this script runs elsewhere (e.g. a
# scratch venv with aiohttp for ``clients``).
_VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = str(_VENV_PYTHON) if _VENV_PYTHON.exists() else sys.executable
KEY = "bench-key-0123456789"

ECHO = """
import json

def init():
    pass

def run(raw_data):
    return json.loads(raw_data)
"""
SKLEARN = """
import json
import os

import joblib
import numpy as np

model = None

def init():
    global model
    model = joblib.load(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model.pkl"))

def run(raw_data):
    return model.predict(np.array(json.loads(raw_data)["data"])).tolist()
"""
SCRIPTS = {
    "echo": (ECHO, json.dumps({"data": [[1.0, 2.0, 3.0, 4.0]], "id": "abc"})),
    "sklearn": (
        SKLEARN,
        json.dumps({"data": [[0.1 * i for i in range(10)], [0.2 * i for i in range(10)]]}),
    ),
}


def log(message: str) -> None:
    print(message, flush=True)


def other_cpus() -> str:
    count = os.cpu_count() or 1
    return "1" if count == 2 else f"1-{count - 1}"


def wait_ready(proc: subprocess.Popen[bytes], url: str, what: str, log_path: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}; see {log_path}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{what} did not become ready; see {log_path}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def replica_socket(work: Path, script: Path) -> Path:
    """The Unix socket a replica started here listens on besides its port, as basin's local
    back end has it do (its gateway reaches it there)."""
    return work / f"replica-{script.stem}.sock"


def start_replica(script: Path, model_dir: Path, work: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZUREML_", "AML_"))}
    env.pop("PYTHONPATH", None)
    env["AZUREML_MODEL_DIR"] = str(model_dir)
    log_path = work / f"replica-{script.stem}.log"
    cmd = [PYTHON, "-m", "basin.runtime", "--entry_script", str(script)]
    proc = subprocess.Popen(
        [*pin("0"), *cmd, "--port", str(port), "--uds", str(replica_socket(work, script))],
        cwd=work,
        env=env,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
    )
    wait_ready(proc, f"http://127.0.0.1:{port}/", "replica", log_path)
    return proc, port


def start_gateway(
    replica: str, work: Path, *, compiled: bool = True
) -> tuple[subprocess.Popen[bytes], int]:
    """A gateway routing the endpoint ``bench`` to ``replica`` (``unix:/path`` or host:port);
    ``compiled=False``: its request path in Python even where the compiled one is current."""
    from basin import native
    from basin.gateway import DeploymentRoute, EndpointRoute, RoutingTable

    table = RoutingTable(
        [
            EndpointRoute(
                "bench",
                keys=(KEY,),
                traffic={"blue": 100},
                # room for wrk's 32 connections: no 429 at the tested concurrency
                deployments={
                    "blue": DeploymentRoute((replica,), max_concurrent_requests_per_instance=64)
                },
            )
        ]
    )
    table_path = work / "routes.json"
    table_path.write_text(table.to_json())
    table_path.chmod(0o600)
    log_path = work / "gateway.log"
    port = free_port()
    cmd = [PYTHON, "-m", "basin.gateway", "--table", str(table_path), "--port", str(port)]
    env = {**os.environ, **({} if compiled else {native.SWITCH: "0"})}
    proc = subprocess.Popen(
        [*pin(other_cpus()), *cmd], stdout=log_path.open("w"), stderr=subprocess.STDOUT, env=env
    )
    wait_ready(proc, f"http://127.0.0.1:{port}/health", "gateway", log_path)
    return proc, port


def script_path(work: Path, name: str) -> Path:
    """Where :func:`start_behind_gateway` writes the script ``name``."""
    return work / f"{name}_score.py"


def start_behind_gateway(
    name: str,
    work: Path,
    model_dir: Path,
    running: list[subprocess.Popen[bytes]],
    transport: str = "unix",
) -> tuple[int, subprocess.Popen[bytes], int]:
    """The script ``name``'s replica and a gateway in front of it, both added to ``running``
    (to stop them); returns (replica port, gateway process, gateway port). The gateway reaches
    the replica over its Unix socket (as in basin's server), or its port with ``tcp``."""
    source = SCRIPTS[name][0]
    if name == "sklearn":
        train_model(model_dir)
    script = script_path(work, name)
    script.write_text(source)
    replica, replica_port = start_replica(script, model_dir, work)
    running.append(replica)
    upstream = (
        f"unix:{replica_socket(work, script)}"
        if transport == "unix"
        else f"127.0.0.1:{replica_port}"
    )
    gateway, gateway_port = start_gateway(upstream, work)
    running.append(gateway)
    return replica_port, gateway, gateway_port


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def write_lua(path: Path, body: str, key: str | None) -> None:
    wrk_lua(path, body, {"Authorization": f"Bearer {key}"} if key else None)


def train_model(model_dir: Path) -> None:
    import joblib
    from sklearn.datasets import make_regression
    from sklearn.linear_model import Ridge

    x, y = make_regression(n_samples=500, n_features=10, random_state=0)
    model_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump(Ridge().fit(x, y), model_dir / "model.pkl")


def markdown(results: dict[tuple[str, int, str], Result]) -> str:
    lines = [
        "| script | concurrency | target | req/s | p50 ms | p99 ms |",
        "|---|---:|---|---:|---:|---:|",
    ]
    keys = sorted({(s, c) for s, c, _ in results})
    for script, conns in keys:
        for target in ("direct", "gateway"):
            r = results[(script, conns, target)]
            flag = f" ({r.errors} errors)" if r.errors else ""
            lines.append(
                f"| {script} | {conns} | {target} | {r.rps:,.0f}{flag} | {r.p50_ms:.2f} | "
                f"{r.p99_ms:.2f} |"
            )
    lines += [
        "",
        "| script | concurrency | gateway / direct req/s | p50 added ms | p99 gateway vs direct |",
        "|---|---:|---:|---:|---:|",
    ]
    for script, conns in keys:
        d, g = results[(script, conns, "direct")], results[(script, conns, "gateway")]
        lines.append(
            f"| {script} | {conns} | {g.rps / d.rps:.0%} | {g.p50_ms - d.p50_ms:+.2f} | "
            f"{g.p99_ms:.2f} vs {d.p99_ms:.2f} ms |"
        )
    return "\n".join(lines) + "\n"


def bench(args: argparse.Namespace) -> int:
    wrk = ensure_wrk()
    levels = [int(c) for c in args.concurrency.split(",")]
    results: dict[tuple[str, int, str], Result] = {}
    with tempfile.TemporaryDirectory(prefix="basin-gateway-bench-") as tmp:
        work = Path(tmp)
        model_dir = work / "model"
        for name in args.scripts.split(","):
            body = SCRIPTS[name][1]
            running: list[subprocess.Popen[bytes]] = []
            try:
                replica_port, _gateway, gateway_port = start_behind_gateway(
                    name, work, model_dir, running
                )
                targets = {
                    "direct": (f"http://127.0.0.1:{replica_port}/score", None),
                    "gateway": (f"http://127.0.0.1:{gateway_port}/endpoints/bench/score", KEY),
                }
                luas = {}
                for target, (url, key) in targets.items():
                    luas[target] = work / f"{name}-{target}.lua"
                    write_lua(luas[target], body, key)
                    wrk_run(wrk, url, luas[target], max(levels), args.warmup, cpus=other_cpus())
                for conns in levels:
                    rounds: dict[str, list[Result]] = {t: [] for t in targets}
                    for _ in range(args.rounds):
                        for target, (url, _) in targets.items():
                            rounds[target].append(
                                wrk_run(
                                    wrk, url, luas[target], conns, args.duration, cpus=other_cpus()
                                )
                            )
                    for target in targets:
                        r = max(rounds[target], key=lambda res: res.rps)
                        results[(name, conns, target)] = r
                        log(
                            f"{name:8} c={conns:<3} {target:8} {r.rps:10,.0f} req/s  "
                            f"p50 {r.p50_ms:7.2f} ms  p99 {r.p99_ms:7.2f} ms"
                            + (f"  ({r.errors} errors)" if r.errors else "")
                        )
            finally:
                for proc in reversed(running):
                    stop(proc)
    cpu = (
        f"replica pinned to CPU 0, gateway and wrk to CPU {other_cpus()}"
        if pin("0")
        else "unpinned"
    )
    header = (
        f"Gateway benchmark ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs, {cpu}, best of "
        f"{args.rounds} wrk runs of {args.duration}s per cell, replica: basin.runtime)\n\n"
    )
    table = markdown(results)
    log("\n" + header + table)
    if args.out:
        args.out.write_text(header + table)
        log(f"written to {args.out}")
    return 0


# -- HTTP client comparison ----------------------------------------------------------------------
async def _client_loop(kind: str, url: str, body: bytes, requests: int, conns: int) -> float:
    """POST ``requests`` times over ``conns`` concurrent workers; the wall time of the loop."""
    if kind == "basin":
        from basin.gateway.upstream import ReplicaPool

        host_port = url.split("/")[2]
        pool = ReplicaPool(host_port, max_idle=conns * 2)
        head = (
            b"POST /score HTTP/1.1\r\nhost: %s\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\n\r\n" % (host_port.encode(), len(body))
        )

        async def one() -> None:
            conn, reused = await pool.acquire()
            conn.begin(reused=reused)
            conn.send(head + body)
            await conn.response_head()
            if conn.take_body() is None:
                while await conn.read_body() is not None:
                    pass
            assert conn.status == 200
            pool.release(conn)

        return await _drive(one, requests, conns)
    if kind == "httpx":
        import httpx

        limits = httpx.Limits(max_connections=conns, max_keepalive_connections=conns)
        async with httpx.AsyncClient(limits=limits) as client:

            async def one() -> None:
                response = await client.post(
                    url, content=body, headers={"content-type": "application/json"}
                )
                assert response.status_code == 200

            return await _drive(one, requests, conns)
    import aiohttp

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=conns)) as session:

        async def one() -> None:
            headers = {"content-type": "application/json"}
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                assert response.status == 200

        return await _drive(one, requests, conns)


async def _drive(one, requests: int, conns: int) -> float:  # type: ignore[no-untyped-def]
    for _ in range(min(200, requests)):
        await one()
    left = requests

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await one()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(conns)))
    return time.perf_counter() - started


def client_child(args: argparse.Namespace) -> int:
    """One client run (in its own process): prints req/s and CPU microseconds per request."""
    try:
        import uvloop

        loop = uvloop.new_event_loop()
    except ImportError:
        loop = asyncio.new_event_loop()
    body = SCRIPTS["echo"][1].encode()
    before = resource.getrusage(resource.RUSAGE_SELF)
    elapsed = loop.run_until_complete(
        _client_loop(args.kind, args.url, body, args.requests, args.conns)
    )
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    warm = min(200, args.requests)
    print(
        json.dumps({"rps": args.requests / elapsed, "cpu_us": cpu / (args.requests + warm) * 1e6})
    )
    return 0


def clients(args: argparse.Namespace) -> int:
    kinds = ["basin", "httpx"]
    try:
        import aiohttp  # noqa: F401

        kinds.append("aiohttp")
    except ImportError:
        log("aiohttp is not importable here: compared without it")
    levels = [int(c) for c in args.concurrency.split(",")]
    rows = ["| client | concurrency | req/s | client CPU us/request |", "|---|---:|---:|---:|"]
    with tempfile.TemporaryDirectory(prefix="basin-gateway-clients-") as tmp:
        work = Path(tmp)
        script = work / "echo_score.py"
        script.write_text(ECHO)
        replica, port = start_replica(script, work, work)
        try:
            for conns in levels:
                for kind in kinds:
                    best: dict[str, float] | None = None
                    for _ in range(args.rounds):
                        cmd = [sys.executable, __file__, "_client", kind]
                        cmd += [f"http://127.0.0.1:{port}/score", str(args.requests), str(conns)]
                        out = subprocess.run(
                            [*pin(other_cpus()), *cmd], capture_output=True, text=True, check=True
                        ).stdout
                        found = json.loads(out)
                        if best is None or found["rps"] > best["rps"]:
                            best = found
                    assert best is not None
                    log(
                        f"{kind:8} c={conns:<3} {best['rps']:9,.0f} req/s  {best['cpu_us']:7.1f} us"
                    )
                    rows.append(f"| {kind} | {conns} | {best['rps']:,.0f} | {best['cpu_us']:.1f} |")
        finally:
            stop(replica)
    log("\n" + "\n".join(rows))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command")
    parser.add_argument("--duration", type=int, default=2, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="runs per cell (best kept)")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of warm-up per target")
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--scripts", default="echo,sklearn")
    parser.add_argument("--out", type=Path, help="also write the tables to this file")
    compare = sub.add_parser("clients", help="compare HTTP clients for the replica side")
    compare.add_argument("--requests", type=int, default=5000)
    compare.add_argument("--rounds", type=int, default=3)
    compare.add_argument("--concurrency", default="1,8,32")
    child = sub.add_parser("_client")
    child.add_argument("kind")
    child.add_argument("url")
    child.add_argument("requests", type=int)
    child.add_argument("conns", type=int)
    args = parser.parse_args()
    if args.command == "clients":
        return clients(args)
    if args.command == "_client":
        return client_child(args)
    return bench(args)


if __name__ == "__main__":
    run_reporting_conditions(main)
