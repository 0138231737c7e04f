"""The task-free path (GatewayApp.answer_now, proxy.forward_now): requests that arrive whole go to
a replica on a kept-alive connection, so each test here first makes one call to leave a
connection in the pool, then checks what the path must do as the general one does."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import pytest

from basin.gateway import DeploymentRoute

from .conftest import KEY1, Gateway, endpoint
from .test_gateway_status import _wait_for

_OK = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok"


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
    while len(body) < length:
        body += conn.recv(65536)
    return data


def _answers_from(
    name: bytes, release: threading.Event | None = None
) -> Callable[[socket.socket], None]:
    """A replica's script answering ``name`` to each request (after ``release``, if given)."""

    def answers(conn: socket.socket) -> None:
        while _read_request(conn):
            if release is not None:
                release.wait(30)
            conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(name), name))

    return answers


def _send_score(conn: socket.socket, endpoint: str) -> None:
    """Send a scoring request on a raw connection (its answer is read by the caller)."""
    conn.sendall(
        b"POST /endpoints/%s/score HTTP/1.1\r\nHost: x\r\n"
        b"Authorization: Bearer %s\r\nContent-Length: 2\r\n\r\n{}"
        % (endpoint.encode(), KEY1.encode())
    )


class _Scripted:
    """A replica on a raw socket: the n-th connection it accepts runs ``scripts[n]``."""

    def __init__(self, scripts: list[Callable[[socket.socket], None]]) -> None:
        self.scripts = scripts
        self.accepted = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.listener.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        for script in self.scripts:
            conn, _ = self.listener.accept()
            self.accepted += 1
            threading.Thread(target=self._run, args=(script, conn), daemon=True).start()

    @staticmethod
    def _run(script: Callable[[socket.socket], None], conn: socket.socket) -> None:
        with conn:
            script(conn)

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def scripted() -> Iterator[Callable[..., _Scripted]]:
    made: list[_Scripted] = []

    def make(*scripts: Callable[[socket.socket], None]) -> _Scripted:
        made.append(_Scripted(list(scripts)))
        return made[-1]

    yield make
    for replica in made:
        replica.close()


def test_a_kept_alive_socket_the_replica_closed_is_retried_on_a_new_one(
    make_gateway, scripted
) -> None:
    def answers_then_drops_the_next_request(conn: socket.socket) -> None:
        _read_request(conn)
        conn.sendall(_OK)
        conn.recv(1)  # the next request arrives; the replica closes without reading it

    def answers(conn: socket.socket) -> None:
        while _read_request(conn):
            conn.sendall(_OK)

    replica = scripted(answers_then_drops_the_next_request, answers)
    gw: Gateway = make_gateway(endpoint("ep-stale", {"b": DeploymentRoute((replica.address,))}))
    assert gw.score("ep-stale").status_code == 200
    second = gw.score("ep-stale")
    assert (second.status_code, second.content) == (200, b"ok")
    assert replica.accepted == 2
    assert [r.status for r in gw.records] == [200, 200]


def test_a_request_a_replica_dropped_goes_again_to_another_replica(make_gateway, scripted) -> None:
    """A replica that closes a kept-alive socket with a request on it may be dying (a new
    connection to it can still be accepted, then dropped): the request goes again to another
    replica, even one busier than it."""
    seen_by_a: list[bytes] = []
    release = threading.Event()

    def answers_then_drops_the_next_request(conn: socket.socket) -> None:
        _read_request(conn)
        conn.sendall(_OK)
        seen_by_a.append(_read_request(conn))  # and closes without answering

    a = scripted(answers_then_drops_the_next_request, _answers_from(b"a again"))
    b = scripted(_answers_from(b"b held", release), _answers_from(b"b"))
    route = DeploymentRoute((a.address,), max_concurrent_requests_per_instance=4)
    gw: Gateway = make_gateway(endpoint("ep-drop", {"d": route}))
    assert gw.score("ep-drop").content == b"ok"  # a kept-alive connection to a
    gw.table.set_replicas("ep-drop", "d", [a.address, b.address])
    held: list[bytes] = []
    with socket.create_connection(("127.0.0.1", gw.thread.port)) as busy:
        _send_score(busy, "ep-drop")
        _wait_for(lambda: b.accepted == 1, "b to hold a request")  # b is now the busier
        answer = gw.score("ep-drop")  # to a (fewer in flight), whose kept-alive socket drops it
        release.set()
        held.append(busy.recv(65536))
    assert (answer.status_code, answer.content) == (200, b"b")
    assert len(seen_by_a) == 1 and seen_by_a[0]  # a got the request and dropped it
    assert a.accepted == 1  # and was not tried again
    assert held[0].endswith(b"b held")


def test_a_request_a_new_connection_dropped_goes_again_to_another_replica(
    make_gateway, scripted
) -> None:
    """A dying replica can accept a new connection, read the request and close it: with no
    byte of an answer back, the request goes again to another replica, as one dropped on a
    kept-alive socket does (seen once in a soak run: a SIGKILLed replica's new connection)."""
    release = threading.Event()

    def reads_and_drops(conn: socket.socket) -> None:
        _read_request(conn)

    a = scripted(reads_and_drops)
    b = scripted(_answers_from(b"b held", release), _answers_from(b"b"))
    route = DeploymentRoute((b.address,), max_concurrent_requests_per_instance=4)
    gw: Gateway = make_gateway(endpoint("ep-new-drop", {"d": route}))
    with socket.create_connection(("127.0.0.1", gw.thread.port)) as busy:
        _send_score(busy, "ep-new-drop")
        _wait_for(lambda: b.accepted == 1, "b to hold a request")
        gw.table.set_replicas("ep-new-drop", "d", [a.address, b.address])
        answer = gw.score("ep-new-drop")  # to a (none in flight), on a new connection
        release.set()
        assert busy.recv(65536).endswith(b"b held")
    assert (answer.status_code, answer.content) == (200, b"b")
    assert a.accepted == 1
    assert [r.status for r in gw.records] == [200, 200]


def test_a_replica_that_breaks_off_its_answer_gives_a_502(make_gateway, scripted) -> None:
    def answers_then_breaks_off(conn: socket.socket) -> None:
        _read_request(conn)
        conn.sendall(_OK)
        _read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-len")  # half a head, then the socket closes

    replica = scripted(answers_then_breaks_off)
    gw: Gateway = make_gateway(endpoint("ep-broken", {"b": DeploymentRoute((replica.address,))}))
    assert gw.score("ep-broken").status_code == 200
    broken = gw.score("ep-broken")
    assert broken.status_code == 502
    assert broken.json()["error"]["code"] == "BadGateway"
    assert replica.address not in broken.text
    assert (gw.records[-1].status, gw.records[-1].reason) == (502, "replica_unreachable")


_HEAD_ONLY = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: %d\r\n\r\n"


@pytest.mark.parametrize("length", [100, 1_000_000])
@pytest.mark.parametrize("kept_alive", [False, True], ids=["new connection", "kept alive"])
def test_a_replica_that_dies_after_its_head_gives_a_whole_502(
    make_gateway, scripted, length: int, kept_alive: bool
) -> None:
    """Its head (and some of a small body) came, the rest never will: nothing has gone to
    the client yet, so the client gets a 502, not a connection closed without an answer.
    On a new connection the general path answers, on a kept-alive one the task-free path
    (waiting for a small answer whole, relaying a large one from a task)."""

    def dies_after_the_head(conn: socket.socket) -> None:
        if kept_alive:
            _read_request(conn)
            conn.sendall(_OK)
        _read_request(conn)
        conn.sendall(_HEAD_ONLY % length + (b"x" * 10 if length < 1000 else b""))

    replica = scripted(dies_after_the_head)
    gw: Gateway = make_gateway(endpoint("ep-dies", {"b": DeploymentRoute((replica.address,))}))
    if kept_alive:
        assert gw.score("ep-dies").status_code == 200
    broken = gw.score("ep-dies")
    assert broken.status_code == 502
    assert broken.json()["error"]["code"] == "BadGateway"
    _wait_for(lambda: len(gw.records) == 1 + kept_alive, "the record")
    assert (gw.records[-1].status, gw.records[-1].reason) == (502, "replica_unreachable")


def test_a_replica_that_dies_mid_way_through_a_large_answer_breaks_it_off(
    make_gateway, scripted
) -> None:
    def dies_mid_way(conn: socket.socket) -> None:
        _read_request(conn)
        conn.sendall(_HEAD_ONLY % 1_000_000 + b"x" * 100_000)

    replica = scripted(dies_mid_way)
    gw: Gateway = make_gateway(endpoint("ep-mid", {"b": DeploymentRoute((replica.address,))}))
    with socket.create_connection(("127.0.0.1", gw.thread.port)) as client:
        client.sendall(
            b"POST /endpoints/ep-mid/score HTTP/1.1\r\nHost: x\r\n"
            b"Authorization: Bearer %s\r\nContent-Length: 2\r\n\r\n{}" % KEY1.encode()
        )
        received = b""
        while chunk := client.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ") and 0 < len(body) < 1_000_000  # cut short
    _wait_for(lambda: len(gw.records) == 1, "the record")
    assert gw.records[0].reason == "replica_failed_while_answering"


def test_a_large_answer_and_a_large_body_go_through_whole(make_gateway, fresh) -> None:
    blue = fresh["blue"]
    gw: Gateway = make_gateway(endpoint("ep-now-large", {"blue": DeploymentRoute((blue.address,))}))
    assert gw.score("ep-now-large").status_code == 200
    response = gw.score("ep-now-large", path="score?size=3000000")
    assert response.status_code == 200 and len(response.content) == 3_000_000
    assert gw.records[-1].response_bytes == 3_000_000
    body = bytes(range(256)) * 400  # 100 KiB, most often read at once: two writes on
    echoed = gw.score("ep-now-large", content=body)
    assert echoed.status_code == 200 and echoed.content == body
    assert gw.records[-1].request_bytes == len(body)


def test_a_client_that_goes_away_cancels_the_replica_call(make_gateway, fresh) -> None:
    blue = fresh["blue"]
    gw: Gateway = make_gateway(endpoint("ep-now-gone", {"blue": DeploymentRoute((blue.address,))}))
    assert gw.score("ep-now-gone").status_code == 200
    with socket.create_connection(("127.0.0.1", gw.thread.port)) as client:
        client.sendall(
            b"POST /endpoints/ep-now-gone/score?hold=1 HTTP/1.1\r\nHost: x\r\n"
            b"Authorization: Bearer %s\r\nContent-Length: 2\r\n\r\n{}" % KEY1.encode()
        )
        _wait_for(lambda: blue.stats()["in_flight"] == 1, "the replica to hold the call")
    # the client closed its socket
    _wait_for(lambda: blue.stats()["disconnected"] == 1, "the replica to see the disconnect")
    _wait_for(lambda: len(gw.records) == 2, "the record")
    assert (gw.records[1].status, gw.records[1].reason) == (499, "client_disconnected")
    plan = gw.app.router.plans["ep-now-gone"]
    assert plan.live[0].in_flight == 0  # the capacity it held is given back
    assert gw.score("ep-now-gone").status_code == 200


def test_a_defect_on_the_path_fails_that_request_only(make_gateway, fresh, monkeypatch) -> None:
    blue = fresh["blue"]
    gw: Gateway = make_gateway(
        endpoint("ep-now-defect", {"blue": DeploymentRoute((blue.address,))})
    )
    assert gw.score("ep-now-defect").status_code == 200
    calls = []

    def broken(*args: object) -> None:
        calls.append(args)
        raise RuntimeError("a defect")

    monkeypatch.setattr(gw.app, "_random", broken)  # (an attribute: compiled methods stay)
    assert gw.score("ep-now-defect").status_code == 500
    monkeypatch.undo()
    assert calls and gw.score("ep-now-defect").status_code == 200
