"""What one proxy hop costs: a replica direct, through basin's gateway, through HAProxy, and
through the floor of a Python hop.

HAProxy (Debian's package, installed if absent) runs as a plain reverse proxy to the same
replica with none of Azure's semantics (no key check, split, mirror, records): it is the floor
of what a hop in front of the replicas costs, the figure to weigh moving the data plane onto it.
"python floor" (``_floor_proxy.py``, over the Unix socket only) is a bare callback proxy on
the gateway's uvloop and httptools with only a key check: what basin's gateway costs beyond it
is its own per-request Python.
For each target it reports req/s and p50 at concurrency 1 and 8 (wrk, best of rounds that
alternate targets; the ratio to direct also from the medians of the rounds, steadier on a
noisy machine than the best, whose direct figure is its luckiest) and the proxy's own CPU
time per request (from /proc, user + system), which is the hop's cost independent of how busy
the machine is. "gateway in Python" is the same gateway with ``BASIN_GATEWAY_COMPILED=0``
(shown where the compiled one is current). The replica is pinned to CPU 0, the
proxy and wrk to the others, as in bench/gateway.py. Both proxies reach the replica over its
Unix socket, as basin's server has its gateway do (``--transport tcp``: over its port, as
before 2026-12-05); wrk reaches all three over TCP. Prints the date and load average.

    .venv/bin/python bench/hop.py [--duration 3] [--rounds 2] [--scripts echo,sklearn]
        [--transport unix|tcp]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

from _conditions import conditions, run_reporting_conditions
from _wrk import Result, ensure_wrk, pin, run_wrk
from gateway import (
    KEY,
    PYTHON,
    SCRIPTS,
    free_port,
    log,
    other_cpus,
    replica_socket,
    script_path,
    start_behind_gateway,
    start_gateway,
    stop,
    wait_ready,
    write_lua,
)

from basin import native

FLOOR_PROXY = Path(__file__).with_name("_floor_proxy.py")

HAPROXY_CONFIG = """
global
    maxconn 4096
    nbthread 1
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    option http-keep-alive
frontend scoring
    bind 127.0.0.1:{port}
    default_backend replicas
backend replicas
    http-reuse always
    server replica {replica} maxconn 64
"""


def ensure_haproxy() -> str:
    found = shutil.which("haproxy") or (
        "/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None
    )
    if not found:
        subprocess.run(["apt-get", "update"], check=False, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "haproxy"], check=True, capture_output=True)
        found = shutil.which("haproxy") or "/usr/sbin/haproxy"
    return found


def start_haproxy(binary: str, replica: str, work: Path) -> tuple[subprocess.Popen[bytes], int]:
    """HAProxy in front of ``replica`` (``unix@/path`` or ``host:port``)."""
    port = free_port()
    config = work / "haproxy.cfg"
    config.write_text(HAPROXY_CONFIG.format(port=port, replica=replica))
    log_path = work / "haproxy.log"
    proc = subprocess.Popen(
        [*pin(other_cpus()), binary, "-db", "-f", str(config)],
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
    )
    wait_ready(proc, f"http://127.0.0.1:{port}/", "haproxy", log_path)
    return proc, port


def start_floor(replica_socket_path: Path) -> tuple[subprocess.Popen[bytes], int]:
    """The bare Python proxy in front of the replica's socket, on the proxies' CPUs."""
    port = free_port()
    proc = subprocess.Popen(
        [*pin(other_cpus()), PYTHON, str(FLOOR_PROXY), str(port), str(replica_socket_path), KEY],
        stdout=subprocess.PIPE,
    )
    assert proc.stdout is not None
    if not proc.stdout.readline().startswith(b"ready"):
        raise RuntimeError("the floor proxy did not start")
    return proc, port


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    wrk: str, url: str, lua: Path, conns: int, seconds: int, pid: int | None
) -> tuple[Result, float]:
    """wrk's result and the proxy's CPU microseconds per request (0 for direct)."""
    before = cpu_seconds(pid) if pid else 0.0
    result = run_wrk(wrk, url, lua, conns, seconds, cpus=other_cpus())
    used = cpu_seconds(pid) - before if pid else 0.0
    requests = result.rps * seconds
    return result, (used / requests * 1e6 if requests and pid else 0.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--scripts", default="echo,sklearn")
    parser.add_argument("--concurrency", default="1,8")
    parser.add_argument(
        "--transport",
        choices=("unix", "tcp"),
        default="unix",
        help="how both proxies reach the replica: its Unix socket (as basin's server does) or "
        "its TCP port",
    )
    args = parser.parse_args()
    wrk, haproxy = ensure_wrk(), ensure_haproxy()
    levels = [int(c) for c in args.concurrency.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="basin-hop-bench-") as tmp:
        work = Path(tmp)
        model_dir = work / "model"
        for name in args.scripts.split(","):
            body = SCRIPTS[name][1]
            running: list[subprocess.Popen[bytes]] = []
            try:
                replica_port, gateway, gateway_port = start_behind_gateway(
                    name, work, model_dir, running, args.transport
                )
                socket_path = replica_socket(work, script_path(work, name))
                over_unix, tcp = args.transport == "unix", f"127.0.0.1:{replica_port}"
                proxy, proxy_port = start_haproxy(
                    haproxy, f"unix@{socket_path}" if over_unix else tcp, work
                )
                running.append(proxy)
                plain, keyed = work / "plain.lua", work / "keyed.lua"
                write_lua(plain, body, None)
                write_lua(keyed, body, KEY)
                targets = {
                    "direct": (f"http://127.0.0.1:{replica_port}/score", plain, None),
                    "basin gateway": (
                        f"http://127.0.0.1:{gateway_port}/endpoints/bench/score",
                        keyed,
                        gateway.pid,
                    ),
                    "haproxy": (f"http://127.0.0.1:{proxy_port}/score", plain, proxy.pid),
                }
                if native.why_not(native.FOLDER, native.PACKAGE) is None:
                    # the same gateway with its request path in Python: what compiling gives
                    (work / "python").mkdir(exist_ok=True)
                    python, python_port = start_gateway(
                        f"unix:{socket_path}" if over_unix else tcp, work / "python", compiled=False
                    )
                    running.append(python)
                    targets["gateway in Python"] = (
                        f"http://127.0.0.1:{python_port}/endpoints/bench/score",
                        keyed,
                        python.pid,
                    )
                if over_unix:
                    floor, floor_port = start_floor(socket_path)
                    running.append(floor)
                    targets["python floor"] = (
                        f"http://127.0.0.1:{floor_port}/endpoints/bench/score",
                        keyed,
                        floor.pid,
                    )
                for url, lua, _ in targets.values():
                    run_wrk(wrk, url, lua, max(levels), 1, cpus=other_cpus())  # warm up
                for conns in levels:
                    best: dict[str, tuple[Result, float]] = {}
                    every: dict[str, list[float]] = {target: [] for target in targets}
                    for _ in range(args.rounds):
                        for target, (url, lua, pid) in targets.items():
                            found = measure(wrk, url, lua, conns, args.duration, pid)
                            every[target].append(found[0].rps)
                            if target not in best or found[0].rps > best[target][0].rps:
                                best[target] = found
                    direct = best["direct"][0]
                    direct_median = statistics.median(every["direct"])
                    for target, (result, cpu_us) in best.items():
                        ratio = result.rps / direct.rps if direct.rps else 0.0
                        median = statistics.median(every[target]) / direct_median
                        rows.append((name, conns, target, result, cpu_us, ratio, median))
                        log(
                            f"{name:8} c={conns:<2} {target:17} {result.rps:9,.0f} req/s  "
                            f"p50 {result.p50_ms:6.2f} ms  proxy CPU {cpu_us:6.1f} us/req  "
                            f"{ratio:.2f}x direct (medians {median:.2f}x)"
                        )
            finally:
                for proc in reversed(running):
                    stop(proc)
    lines = [
        f"Hop benchmark {conditions()}, best of {args.rounds} x {args.duration}s, "
        f"proxies to the replica over {args.transport}",
        "",
        "| script | concurrency | target | req/s | p50 ms | proxy CPU us/request | vs direct "
        "(best) | vs direct (medians) |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for name, conns, target, result, cpu_us, ratio, median in rows:
        cpu = f"{cpu_us:.0f}" if cpu_us else "-"
        lines.append(
            f"| {name} | {conns} | {target} | {result.rps:,.0f} | {result.p50_ms:.2f} | {cpu} | "
            f"{ratio:.2f}x | {median:.2f}x |"
        )
    log("\n" + "\n".join(lines))
    return 0


if __name__ == "__main__":
    run_reporting_conditions(main)
