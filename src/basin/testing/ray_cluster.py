"""``RayCluster``: a real Ray cluster on this machine (a head and more nodes), for tests and trying.

Each node is ``ray start --block`` in a process group of its own, so one node can be killed by
its pid (the whole group: raylet, workers, replicas) while the others run on, the way a machine
of a cluster dies. Nodes get distinct loopback addresses (127.0.0.2, 127.0.0.3, …; Ray refuses
127.0.0.1 as a node address), their own temp folders and ports, a small object store and few CPUs,
so a test cluster stays light on a 2-core machine. Nothing is stopped by name (``ray stop``
would stop every Ray on the machine): only the process groups started here.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["RayCluster", "RayNode"]

_STARTED = "Ray runtime started"
_OBJECT_STORE_BYTES = 80 * 1024 * 1024  # Ray's minimum is 75 MiB


#: Ports for the cluster's listeners, below Linux's ephemeral range (32768-60999): Ray binds
#: them on every address, and a port Ray took from the ephemeral range could be the one another
#: test has just been told is free (bind to 0, close, hand the number to its server).
_PORTS = range(24000, 32000)  # (Ray Client sessions take 23000 and up)


class _PortRange:
    """Free ports of ``_PORTS`` (on every address), each handed out once per process."""

    def __init__(self) -> None:
        self._next = _PORTS.start + (os.getpid() * 97) % (len(_PORTS) // 2)

    def take(self, count: int = 1) -> int:
        """The first of ``count`` consecutive free ports."""
        while self._next + count < _PORTS.stop:
            start, self._next = self._next, self._next + count
            if all(_free(port) for port in range(start, start + count)):
                return start
        raise OSError("no free ports left in 24000-31999 for the Ray test cluster")


def _free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


_ports = _PortRange()


def free_port(host: str) -> int:
    del host  # Ray listens on every address: the port must be free on all of them
    return _ports.take()


def _node_ports() -> list[str]:
    """``ray start`` options that pin every listener of a node to ports from ``_PORTS``."""
    workers = _ports.take(64)
    options = [f"--min-worker-port={workers}", f"--max-worker-port={workers + 63}"]
    for name in (
        "node-manager-port",
        "object-manager-port",
        "dashboard-agent-listen-port",
        "dashboard-agent-grpc-port",
        "runtime-env-agent-port",
        "metrics-export-port",
    ):
        options.append(f"--{name}={_ports.take()}")
    return options


def _ray_bin() -> str:
    return str(Path(sys.executable).with_name("ray"))


@dataclass
class RayNode:
    """One ``ray start --block`` process; its pid is its process group's id."""

    ip: str
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)
    started: threading.Event = field(default_factory=threading.Event)

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def processes(self) -> list[int]:
        """Every process of the node: ``ray start`` and all its descendants.

        Ray's workers run in sessions of their own (not in the node's process group), so they
        are found as descendants of the raylet.
        """
        return _descendants(self.pid)

    def kill(self) -> None:
        """SIGKILL every process of the node at once, as when its machine dies."""
        for pid in [self.pid, *self.processes()]:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10)

    def stop(self, grace: float = 5) -> None:
        """SIGTERM (``ray start --block`` then stops its node's processes), SIGKILL after grace."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(grace)
        self.kill()


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    return children


def _descendants(pid: int) -> list[int]:
    children = _children()
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class RayCluster:
    """A head node and any number of worker nodes, each with its own loopback address."""

    def __init__(
        self,
        root: Path,
        *,
        head_cpus: int = 1,
        head_resources: Mapping[str, float] | None = None,
        env: Mapping[str, str] | None = None,
    ):
        self.root = root
        # Ray's session folders hold Unix sockets, whose paths may not exceed 107 bytes: a
        # short folder of its own, not under a (deep) test folder.
        self.sessions = Path(tempfile.mkdtemp(prefix="basin-ray-"))
        self.head_cpus = head_cpus
        self.head_resources = dict(head_resources or {})
        self.env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", **(env or {})}
        # Let nodes find the Python this helper runs with (and so basin and ray).
        self.env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{self.env.get('PATH', '')}"
        self.nodes: list[RayNode] = []
        self.gcs_address = ""
        self.client_port = 0
        self._next_ip = 2

    @property
    def address(self) -> str:
        """What ``BASIN_COMPUTE`` takes: Ray Client's address of the head."""
        return f"ray://{self.nodes[0].ip}:{self.client_port}"

    def _ip(self) -> str:
        ip = f"127.0.0.{self._next_ip}"
        self._next_ip += 1
        return ip

    def start(self, timeout: float = 120) -> RayCluster:
        ip = self._ip()
        port = free_port(ip)
        self.client_port = free_port(ip)
        self.gcs_address = f"{ip}:{port}"
        # The head through `basin ray start`, so its command line is the one operators use.
        command = [
            sys.executable, "-m", "basin", "ray", "start", f"--address={ip}",
            f"--port={self.client_port}", f"--gcs-port={port}", f"--num-cpus={self.head_cpus}",
            f"--temp-dir={self.sessions}", "--block",
            *(f"--ray-arg={option}" for option in _node_ports()),
        ]  # fmt: skip
        if self.head_resources:
            command.append(f"--resources={json.dumps(self.head_resources)}")
        self._start_node(ip, command, timeout)
        return self

    def add_node(
        self,
        *,
        cpus: int = 1,
        resources: Mapping[str, float] | None = None,
        env: Mapping[str, str] | None = None,
        hide: Sequence[Path] = (),
        timeout: float = 120,
    ) -> RayNode:
        """A worker node with its own address and custom resources (e.g. ``{"node2": 1}``).

        ``hide``: folders this node must not see, as if it were another machine (an empty
        tmpfs over each, in a mount namespace of the node's own; Linux, as root).
        """
        ip = self._ip()
        command = [
            _ray_bin(), "start", f"--address={self.gcs_address}", f"--num-cpus={cpus}",
            f"--node-ip-address={ip}", "--disable-usage-stats", "--block", *_node_ports(),
        ]  # fmt: skip
        if resources:
            command.append(f"--resources={json.dumps(dict(resources))}")
        if hide:
            mounts = " && ".join(f"mount -t tmpfs basin-hidden {shlex.quote(str(p))}" for p in hide)
            command = [
                "unshare", "--mount", "--propagation", "private",
                "sh", "-c", f'{mounts} && exec "$@"', "sh", *command,
            ]  # fmt: skip
        return self._start_node(ip, command, timeout, env)

    def _start_node(
        self,
        ip: str,
        command: list[str],
        timeout: float,
        env: Mapping[str, str] | None = None,
        attempts: int = 3,
    ) -> RayNode:
        """Start a node; a start that fails is ended whole and tried again.

        Ray gives a joining node 30 s to register with the head (not configurable): on a
        loaded machine that is sometimes too short.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        command = [*command, f"--object-store-memory={_OBJECT_STORE_BYTES}"]
        for attempt in range(1, attempts + 1):
            node = self._launch(ip, command, env)
            if self._wait_started(node, timeout):
                return node
            node.kill()
            self.nodes.remove(node)
            if attempt == attempts:
                self.close()
                raise RuntimeError("ray start failed:\n" + "".join(node.output[-40:]))
        raise AssertionError("unreachable")

    def _launch(self, ip: str, command: list[str], env: Mapping[str, str] | None) -> RayNode:
        process = subprocess.Popen(
            command,
            env={**self.env, **(env or {})},
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        node = RayNode(ip, process)
        self.nodes.append(node)

        def pump() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                node.output.append(line)
                if _STARTED in line:
                    node.started.set()

        threading.Thread(target=pump, daemon=True).start()
        return node

    @staticmethod
    def _wait_started(node: RayNode, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not node.started.wait(0.1):
            if node.process.poll() is not None or time.monotonic() > deadline:
                return False
        return True

    def close(self) -> None:
        """Stop every node, workers first, then the head."""
        for node in reversed(self.nodes):
            node.stop()
        shutil.rmtree(self.sessions, ignore_errors=True)

    def __enter__(self) -> RayCluster:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.close()
