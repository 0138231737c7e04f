"""Replicas' Unix sockets on the local back end: given, routed to when listened on, removed."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from basin.compute import LocalSupervisor, ReplicaSpec
from basin.compute.local._sockets import socket_folder

from .conftest import WAIT_S, wait_for

pytestmark = pytest.mark.timeout(180)

KEY = "/ws/onlineEndpoints/ep/deployments/blue"
SpecFactory = Callable[..., ReplicaSpec]


def _over(path: str, route: str = "/rev") -> httpx.Response:
    with httpx.Client(transport=httpx.HTTPTransport(uds=path), timeout=10) as client:
        return client.get(f"http://replica{route}")


def test_a_replica_that_listens_on_its_socket_is_routed_there(
    supervisor: LocalSupervisor, make_spec: SpecFactory
) -> None:
    supervisor.apply(make_spec(socket=True), 1)
    endpoints = supervisor.wait_ready(KEY, 1, WAIT_S)
    replica = supervisor.replicas(KEY)[0]
    assert replica.socket is not None
    assert supervisor.ready_routes(KEY) == [f"unix:{replica.socket}"]
    assert _over(replica.socket).text == "r1"
    # The port still answers (probes, direct calls), and the status still names it.
    assert endpoints == [replica.endpoint]
    folder = Path(replica.socket).parent
    info = folder.lstat()
    assert info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) == 0o700


def test_a_replica_that_ignores_its_socket_is_routed_to_its_port(
    supervisor: LocalSupervisor, make_spec: SpecFactory
) -> None:
    supervisor.apply(make_spec(socket=False), 1)
    endpoints = supervisor.wait_ready(KEY, 1, WAIT_S)
    assert supervisor.replicas(KEY)[0].socket is None
    assert supervisor.ready_routes(KEY) == endpoints


def test_the_socket_goes_with_its_process_and_comes_back_with_the_restart(
    supervisor: LocalSupervisor, make_spec: SpecFactory
) -> None:
    supervisor.apply(make_spec(socket=True), 1)
    supervisor.wait_ready(KEY, 1, WAIT_S)
    first = supervisor.replicas(KEY)[0]
    assert first.socket is not None and first.pid is not None
    os.kill(first.pid, signal.SIGKILL)  # the process cannot remove its socket itself

    def restarted() -> bool:
        now = supervisor.replicas(KEY)
        return bool(now) and now[0].pid not in (None, first.pid) and now[0].ready

    wait_for(restarted, "the replica to be restarted and ready")
    again = supervisor.replicas(KEY)[0]
    assert again.socket == first.socket  # the same replica: the same path, a new listener
    assert _over(again.socket).text == "r1"

    supervisor.remove(KEY)
    wait_for(lambda: supervisor.status(KEY) is None, "the deployment to be gone")
    assert not Path(first.socket).exists()
    supervisor.close()
    assert not Path(first.socket).parent.exists()  # nothing left in the temporary folder


def test_without_sockets_the_placeholder_is_empty_and_routes_are_ports(
    supervisor_factory: Callable[..., LocalSupervisor], make_spec: SpecFactory
) -> None:
    supervisor = supervisor_factory(unix_sockets=False)  # as the Ray back end's node hosts
    supervisor.apply(make_spec(socket=True), 1)
    endpoints = supervisor.wait_ready(KEY, 1, WAIT_S)
    assert supervisor.replicas(KEY)[0].socket is None
    assert supervisor.ready_routes(KEY) == endpoints


@pytest.fixture
def short_path() -> Iterator[Path]:
    """A folder whose path is short enough for sockets in it (pytest's tmp_path may not be)."""
    path = Path(tempfile.mkdtemp(prefix="bs-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_the_folder_is_short_enough_for_a_socket_address_and_private(
    tmp_path: Path, short_path: Path
) -> None:
    short = socket_folder(short_path / "state")
    assert short == short_path / "state" / "sockets"
    assert stat.S_IMODE(short.lstat().st_mode) == 0o700
    deep = tmp_path / ("d" * 120) / "state"
    deep.mkdir(parents=True)
    moved = socket_folder(deep)
    assert moved is not None and moved.parent.name == f"basin-{os.getuid()}"
    assert socket_folder(deep) == moved  # the same folder for the same state folder
    long_name = moved / "a-deployment-named-twenty-four-abcdef.sock"
    assert len(os.fsencode(long_name)) <= 107
    (moved / "left-by-a-killed-supervisor.sock").write_text("")
    socket_folder(deep)
    assert list(moved.iterdir()) == []
    moved.rmdir()


def test_a_folder_others_can_enter_is_refused_and_tcp_is_used(
    short_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state = short_path / "state"
    (state / "sockets").mkdir(parents=True)
    (state / "sockets").chmod(0o755)
    assert socket_folder(state) is None
    assert "open to other users" in caplog.text

    planted = short_path / "planted"
    planted.mkdir()
    (planted / "sockets").symlink_to(short_path)
    assert socket_folder(planted) is None
    assert "is not a folder" in caplog.text


def _connects(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def _chosen_port(supervisor: LocalSupervisor) -> int:
    """The port of the one replica of KEY, once it has been started."""
    ports: list[int] = []

    def chosen() -> bool:
        ports[:] = [r.port for r in supervisor.replicas(KEY) if r.port is not None]
        return bool(ports)

    wait_for(chosen, "a port to be chosen")
    return ports[0]


def test_a_replica_that_takes_a_listener_has_its_port_held_from_the_choice(
    supervisor: LocalSupervisor, make_spec: SpecFactory
) -> None:
    # The replica sleeps in its "init" before it serves: its port already listens (the
    # supervisor's socket, inherited), so no other program can take it in the meantime.
    supervisor.apply(make_spec(START_DELAY="2", LISTEN_FD="{listen_fd}"), 1)
    port = _chosen_port(supervisor)
    assert _connects(port)  # while the replica still sleeps
    (endpoint,) = supervisor.wait_ready(KEY, 1, WAIT_S)
    assert endpoint == f"127.0.0.1:{port}"
    # It serves on the very socket it was handed, bound to the port it was told.
    assert httpx.get(f"http://{endpoint}/listener", timeout=10).text == f"{port} {port}"
    assert supervisor.replicas(KEY)[0].restarts == 0
    # The supervisor kept no copy: once the replica is gone, the port is free again.
    supervisor.remove(KEY)
    wait_for(lambda: supervisor.status(KEY) is None, "the replica to stop")
    assert not _connects(port)


def test_a_replica_without_a_listener_binds_its_port_itself(
    supervisor: LocalSupervisor, make_spec: SpecFactory
) -> None:
    supervisor.apply(make_spec(START_DELAY="2"), 1)
    port = _chosen_port(supervisor)
    assert not _connects(port)  # nothing listens until the replica binds it
    supervisor.wait_ready(KEY, 1, WAIT_S)
    assert _connects(port)
