"""Scoring throughput and latency: basin's runtime vs azmlinfsrv vs a bare ASGI app.

Serves two scoring scripts (an echo, and a scikit-learn predict in the Azure ML sample style) with

* basin   - ``python -m basin.runtime`` (this checkout, the project venv),
* azmlinfsrv - ``azureml-inference-server-http==1.5.1`` (one gunicorn worker, its default),
              installed into ``bench/.venvs/azmlinfsrv`` on the first run,
* basin-inline - the same with ``BASIN_RUNTIME_THREADS=0`` (run() always inline; opt-in),
* basin-pool - the same with ``BASIN_RUNTIME_INLINE_MS=0`` (run() always in the pool; opt-in),
* bare    - a bare ASGI app on uvicorn + httptools + uvloop that calls the same ``run()`` inline
            and answers with the same response headers (``bench/serving/bare_app.py``): the
            practical ceiling for a server of this contract on this stack,
* bare-min - the same without the contract's headers (content-type and length only): the
            ceiling of uvicorn itself,

and loads each with ``wrk`` (a separate process; Debian package, installed if absent) POSTing the
same JSON at concurrency 1, 8 and 32, in rounds that alternate between the servers (the best
round of each cell is kept, to damp load from elsewhere on the machine). On a machine with two or more CPUs the server is pinned to
CPU 0 and wrk to CPU 1, so every server gets one core. Prints requests/s, p50 and p99, the ratios,
and writes a markdown table to ``bench/results/serving.md``.

    .venv/bin/python bench/serving.py [--duration 5] [--concurrency 1,8,32]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _conditions import run_reporting_conditions
from _wrk import Result, ensure_wrk, pin, run_wrk, write_lua

from basin.testing.azmlinfsrv import AZMLINFSRV_VERSION, ensure_azmlinfsrv, pins_like_here

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "bench" / "serving"
AZ_VENV = ROOT / "bench" / ".venvs" / "azmlinfsrv"
RESULTS = ROOT / "bench" / "results"

SCRIPTS = {
    "echo": (HERE / "echo_score.py", json.dumps({"data": [[1.0, 2.0, 3.0, 4.0]], "id": "abc"})),
    "sklearn": (
        HERE / "sklearn_score.py",
        json.dumps({"data": [[0.1 * i for i in range(10)], [0.2 * i for i in range(10)]]}),
    ),
}


def _log(message: str) -> None:
    print(message, flush=True)


def train_model(model_dir: Path) -> None:
    import joblib
    from sklearn.datasets import make_regression
    from sklearn.linear_model import Ridge

    x, y = make_regression(n_samples=500, n_features=10, random_state=0)
    (model_dir / "model").mkdir(parents=True, exist_ok=True)
    joblib.dump(Ridge().fit(x, y), model_dir / "model" / "sklearn_regression_model.pkl")


def _score_url(port: int) -> str:
    return f"http://127.0.0.1:{port}/score"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(kind: str, script: Path, model_dir: Path, workdir: Path, log: Path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZUREML_", "AML_"))}
    env.pop("PYTHONPATH", None)
    env["AZUREML_MODEL_DIR"] = str(model_dir)
    env["PYTHONUNBUFFERED"] = "1"  # as basin's replicas run (every log write reaches the file)
    if kind.startswith("basin"):
        cmd = [sys.executable, "-m", "basin.runtime", "--entry_script", str(script)]
        cmd += ["--port", str(port)]
        if kind == "basin-inline":  # run() always on the event loop
            env["BASIN_RUNTIME_THREADS"] = "0"
        elif kind == "basin-pool":  # run() always in the thread pool
            env["BASIN_RUNTIME_INLINE_MS"] = "0"
    elif kind == "azmlinfsrv":
        cmd = [str(AZ_VENV / "bin" / "azmlinfsrv"), "--entry_script", str(script)]
        cmd += ["--port", str(port)]
    else:
        cmd = [sys.executable, str(HERE / "bare_app.py"), str(script), str(port)]
        if kind == "bare":
            cmd.append("--contract-headers")
    handle = log.open("w")
    proc = subprocess.Popen(
        [*pin("0"), *cmd], cwd=workdir, env=env, stdout=handle, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{kind} exited with {proc.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as response:
                if response.status == 200:
                    return proc, port
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"{kind} did not become ready; see {log}")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def markdown(results: dict[tuple[str, int, str], Result], servers: list[str]) -> str:
    lines = [
        "| script | concurrency | server | req/s | p50 ms | p99 ms |",
        "|---|---:|---|---:|---:|---:|",
    ]
    keys = sorted({(s, c) for s, c, _ in results}, key=lambda k: (k[0], k[1]))
    for script, conns in keys:
        for server in servers:
            r = results.get((script, conns, server))
            if r:
                lines.append(
                    f"| {script} | {conns} | {server} | {r.rps:,.0f} | {r.p50_ms:.2f} | "
                    f"{r.p99_ms:.2f} |"
                )
    if {"basin", "azmlinfsrv", "bare"} <= set(servers):
        lines += [
            "",
            "| script | concurrency | basin / azmlinfsrv req/s | basin / bare req/s | "
            "basin / bare-min req/s | p99 basin vs azmlinfsrv |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for script, conns in keys:
            b = results.get((script, conns, "basin"))
            a = results.get((script, conns, "azmlinfsrv"))
            c = results.get((script, conns, "bare"))
            m = results.get((script, conns, "bare-min"))
            if b and a and c:
                vs_min = f"{b.rps / m.rps:.2f}x" if m else "-"
                lines.append(
                    f"| {script} | {conns} | {b.rps / a.rps:.1f}x | {b.rps / c.rps:.2f}x | "
                    f"{vs_min} | {b.p99_ms:.2f} vs {a.p99_ms:.2f} ms |"
                )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=3, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="measurements per cell (best kept)")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of warm-up per server")
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--servers", default="basin,azmlinfsrv,bare,bare-min")
    parser.add_argument("--scripts", default="echo,sklearn")
    parser.add_argument("--out", type=Path, default=RESULTS / "serving.md")
    args = parser.parse_args()
    servers = args.servers.split(",")
    levels = [int(c) for c in args.concurrency.split(",")]

    wrk = ensure_wrk()
    if "azmlinfsrv" in servers:
        # The same numpy/scikit-learn/joblib as this venv (shared with the parity tests).
        ensure_azmlinfsrv(AZ_VENV, pins_like_here())
    results: dict[tuple[str, int, str], Result] = {}
    with tempfile.TemporaryDirectory(prefix="basin-bench-") as tmp:
        work = Path(tmp)
        model_dir = work / "models"
        train_model(model_dir)
        for name in args.scripts.split(","):
            script, body = SCRIPTS[name]
            lua = work / f"{name}.lua"
            write_lua(lua, body)
            # All servers up at once (idle ones cost nothing); rounds alternate between them so
            # that load from elsewhere on the machine hits every server alike.
            running = {}
            try:
                for server in servers:
                    running[server] = start_server(
                        server, script, model_dir, work, work / f"{server}-{name}.log"
                    )
                    run_wrk(wrk, _score_url(running[server][1]), lua, max(levels), args.warmup)
                for conns in levels:
                    rounds: dict[str, list[Result]] = {server: [] for server in servers}
                    for _ in range(args.rounds):
                        for server in servers:
                            port = running[server][1]
                            rounds[server].append(
                                run_wrk(wrk, _score_url(port), lua, conns, args.duration)
                            )
                    for server in servers:
                        r = max(rounds[server], key=lambda res: res.rps)
                        results[(name, conns, server)] = r
                        flag = f"  ({r.errors} errors)" if r.errors else ""
                        _log(
                            f"{name:8} c={conns:<3} {server:12} {r.rps:10,.0f} req/s  "
                            f"p50 {r.p50_ms:7.2f} ms  p99 {r.p99_ms:7.2f} ms{flag}"
                        )
            finally:
                for proc, _ in running.values():
                    stop_server(proc)
    table = markdown(results, servers)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cpu = "one pinned CPU per server" if pin("0") else "unpinned"
    header = (
        f"Scoring benchmark ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs, {cpu}, "
        f"best of {args.rounds} wrk runs of {args.duration}s per cell, "
        f"azmlinfsrv {AZMLINFSRV_VERSION} with 1 worker)\n\n"
    )
    args.out.write_text(header + table)
    _log("\n" + header + table)
    _log(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    run_reporting_conditions(main)
