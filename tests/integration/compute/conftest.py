"""Fixtures: a small real HTTP replica (stdlib only) and supervisors with fast settings."""

from __future__ import annotations

import os
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from basin.compute import LocalSupervisor, ProbeSettings, ReplicaSpec, RestartPolicy

WAIT_S = 60  # upper bound for anything to happen on a busy 2-core machine (never a timing check)

# Behaviour is chosen by environment variables, so a spec says everything:
#   REV              returned by every answer
#   START_DELAY      seconds to sleep before listening (slow init)
#   CRASH_AT_START   exit at once with this code, after printing a reason
#   NOT_READY_FILE   while this file exists, GET / answers 503
#   IGNORE_TERM      ignore SIGTERM
#   SPAWN_CHILD      start a child process (same group) that sleeps; GET /child gives its pid
#   HOLD_AT_START_MB touch this many MiB before listening (a model too large for its limit)
#   LISTEN_FD        serve on this inherited listening socket (a spec's {listen_fd}), not
#                    on a socket of its own; GET /listener gives "<its port> <argv port>"
# Requests: GET /env?name=X echoes a variable; GET /crash exits with code 4; GET /hang makes
# every later GET / hang; GET /say?n=N prints N numbered lines; GET /alloc?mb=N tries to hold
# N MiB (200 "held", or 507 "MemoryError" when the replica's memory limit refuses it);
# GET /cuda counts the GPUs CUDA shows this process and names the first one's PCI bus id
# ("1 00000000:18:00.0"; "0 " where it shows none; 503 without NVIDIA's driver).
REPLICA = textwrap.dedent(
    """
    import http.server, os, signal, socket, socketserver, subprocess, sys, threading, time
    import urllib.parse

    port = int(sys.argv[1])
    if os.environ.get("CRASH_AT_START"):
        print("init() failed: boom", flush=True)
        sys.exit(int(os.environ["CRASH_AT_START"]))
    if os.environ.get("IGNORE_TERM"):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    child = None
    if os.environ.get("SPAWN_CHILD"):
        child = subprocess.Popen(["sleep", "600"])
    time.sleep(float(os.environ.get("START_DELAY", "0")))
    if os.environ.get("HOLD_AT_START_MB"):
        model = bytearray(int(os.environ["HOLD_AT_START_MB"]) * 1024 * 1024)
        model[::4096] = b"x" * len(range(0, len(model), 4096))  # touched: really in memory
    hang = threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def answer(self, status, text):
            body = text.encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            if url.path == "/":
                if hang.is_set():
                    time.sleep(3600)
                flag = os.environ.get("NOT_READY_FILE")
                if flag and os.path.exists(flag):
                    print("probe: not ready", flush=True)
                    return self.answer(503, "not ready")
                return self.answer(200, "Healthy")
            if url.path == "/rev":
                return self.answer(200, os.environ.get("REV", ""))
            if url.path == "/env":
                return self.answer(200, os.environ.get(query["name"], "<unset>"))
            if url.path == "/listener":
                return self.answer(200, f"{server.socket.getsockname()[1]} {port}")
            if url.path == "/child":
                return self.answer(200, str(child.pid if child else 0))
            if url.path == "/say":
                for i in range(int(query["n"])):
                    print(f"line {i}", flush=True)
                return self.answer(200, "said")
            if url.path == "/alloc":
                try:
                    held = bytearray(int(query["mb"]) * 1024 * 1024)
                except MemoryError:
                    return self.answer(507, "MemoryError")
                del held
                return self.answer(200, "held")
            if url.path == "/cuda":  # the driver API, as any CUDA program sees its devices
                import ctypes
                try:
                    cuda = ctypes.CDLL("libcuda.so.1")
                except OSError as ex:
                    return self.answer(503, f"no libcuda: {ex}")
                status = cuda.cuInit(0)
                if status == 100:  # CUDA_ERROR_NO_DEVICE: CUDA_VISIBLE_DEVICES hides them all
                    return self.answer(200, "0 ")
                if status != 0:
                    return self.answer(503, f"cuInit: {status}")
                count, bus = ctypes.c_int(0), ctypes.create_string_buffer(32)
                cuda.cuDeviceGetCount(ctypes.byref(count))
                if count.value:
                    cuda.cuDeviceGetPCIBusId(bus, 32, 0)
                return self.answer(200, f"{count.value} {bus.value.decode()}")
            if url.path == "/hang":
                hang.set()
                return self.answer(200, "hanging")
            if url.path == "/crash":
                print("crashing on request", flush=True)
                os._exit(4)
            return self.answer(404, "no")

        def log_message(self, *args):
            pass

    host = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"
    if os.environ.get("LISTEN_FD"):  # the supervisor's socket, listening since the choice
        server = http.server.ThreadingHTTPServer((host, port), Handler, bind_and_activate=False)
        server.socket.close()
        server.socket = socket.socket(fileno=int(os.environ["LISTEN_FD"]))
        server.server_name, server.server_port = host, port
    else:
        server = http.server.ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    unix_path = sys.argv[3] if len(sys.argv) > 3 else ""  # {socket}: also serve there
    if unix_path:
        class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
            daemon_threads = True

        class UnixHandler(Handler):
            def address_string(self):
                return "unix"

        unix = UnixServer(unix_path, UnixHandler)
        threading.Thread(target=unix.serve_forever, daemon=True).start()
    print(f"listening on {port}", flush=True)

    def stop(*_):
        threading.Thread(target=server.shutdown, daemon=True).start()

    if not os.environ.get("IGNORE_TERM"):
        signal.signal(signal.SIGTERM, stop)
    server.serve_forever()
    """
)

# Liveness is lenient by default: a busy machine must not get replicas killed while they start.
LENIENT_LIVENESS = ProbeSettings(initial_delay=30, period=0.5, timeout=2, failure_threshold=3)
FAST_READINESS = ProbeSettings(
    initial_delay=0, period=0.2, timeout=2, success_threshold=1, failure_threshold=3
)
FAST_RESTART = RestartPolicy(initial=0.1, factor=2, maximum=1, stable_after=30, start_attempts=3)


def alive(pid: int) -> bool:
    """True when ``pid`` runs; a zombie (ended, not yet reaped by its parent) counts as gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat[stat.rindex(")") + 2] not in "ZX"


def wait_for(condition: Callable[[], object], what: str, timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


def get(endpoint: str, path: str = "/rev", timeout: float = 10) -> httpx.Response:
    return httpx.get(f"http://{endpoint}{path}", timeout=timeout)


def base_env() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}


@pytest.fixture
def replica_script(tmp_path: Path) -> Path:
    path = tmp_path / "replica.py"
    path.write_text(REPLICA)
    return path


@pytest.fixture
def make_spec(replica_script: Path) -> Callable[..., ReplicaSpec]:
    def make(
        key: str = "/ws/onlineEndpoints/ep/deployments/blue",
        revision: str = "r1",
        liveness: ProbeSettings = LENIENT_LIVENESS,
        readiness: ProbeSettings = FAST_READINESS,
        socket: bool = False,
        **env: str,
    ) -> ReplicaSpec:
        """``socket``: the replica also serves on the Unix socket it is given."""
        return ReplicaSpec(
            key=key,
            revision=revision,
            argv=[
                *(sys.executable, str(replica_script), "{port}", "{host}"),
                *(["{socket}"] if socket else []),
            ],
            env=base_env() | {"REV": revision} | env,
            cwd=replica_script.parent,
            liveness=liveness,
            readiness=readiness,
        )

    return make


@pytest.fixture
def supervisor_factory(tmp_path: Path) -> Iterator[Callable[..., LocalSupervisor]]:
    made: list[LocalSupervisor] = []

    def make(**options: object) -> LocalSupervisor:
        settings: dict[str, object] = {
            "restart": FAST_RESTART,
            "stop_grace": 2.0,
            "drain": 0.3,
        }
        settings.update(options)
        supervisor = LocalSupervisor(
            tmp_path / "state",
            tmp_path / "logs",
            **settings,  # type: ignore[arg-type,unused-ignore]
        )
        made.append(supervisor)
        return supervisor

    yield make
    for supervisor in made:
        supervisor.close()


@pytest.fixture
def supervisor(supervisor_factory: Callable[..., LocalSupervisor]) -> LocalSupervisor:
    return supervisor_factory()
