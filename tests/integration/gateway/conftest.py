"""Fixtures: stand-in replicas as real processes, and a real gateway (its own front server)."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from basin.gateway import (
    DeploymentRoute,
    EndpointRoute,
    GatewayApp,
    GatewayThread,
    RequestRecord,
    RoutingTable,
)

REPLICA = Path(__file__).with_name("replica.py")
KEY1 = "primary-key-0123456789abcdef"
KEY2 = "secondary-key-fedcba9876543210"
TOKEN = "good-aml-token-abc123"


class Replica:
    """A stand-in replica process (``replica.py``) on a loopback port."""

    def __init__(self, name: str, *args: str) -> None:
        self.name = name
        self.process = subprocess.Popen(
            [sys.executable, str(REPLICA), "--name", name, *args],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            self.process.kill()
            raise RuntimeError(f"replica {name} did not start: {line!r}")
        self.port = int(line.split()[1])
        self.address = f"127.0.0.1:{self.port}"
        self.client = httpx.Client(base_url=f"http://{self.address}", timeout=10)

    def stats(self) -> dict[str, Any]:
        return self.client.get("/_stats").json()  # type: ignore[no-any-return]

    def release(self) -> None:
        self.client.post("/_release")

    def reset(self) -> None:
        self.client.post("/_reset")

    def stop(self) -> None:
        self.client.close()
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="session")
def replicas() -> Iterator[dict[str, Replica]]:
    """blue, blue2 and green answer at once; shadow holds every call until released, then
    answers 500 (a mirror target)."""
    started: dict[str, Replica] = {}
    try:
        for name, args in (
            ("blue", ()),
            ("blue2", ()),
            ("green", ()),
            ("shadow", ("--hold", "--status", "500")),
        ):
            started[name] = Replica(name, *args)
        yield started
    finally:
        for replica in started.values():
            replica.stop()


@pytest.fixture
def fresh(replicas: dict[str, Replica]) -> dict[str, Replica]:
    """The replicas with their counters cleared."""
    for replica in replicas.values():
        replica.reset()
    return replicas


def verify_token(token: str) -> None:
    if token != TOKEN:
        raise PermissionError("bad token")


class Gateway:
    """A running gateway with its table and the records its sink received."""

    def __init__(
        self, thread: GatewayThread, table: RoutingTable, records: list[RequestRecord]
    ) -> None:
        self.thread = thread
        self.app: GatewayApp = thread.app
        self.table = table
        self._records = records
        self.base = f"http://127.0.0.1:{thread.port}"
        self.client = httpx.Client(base_url=self.base, timeout=30)

    @property
    def records(self) -> list[RequestRecord]:
        """The records of the requests that have ended (the gateway hands them to its sink
        in batches: it is asked to now, on its loop)."""
        noted = threading.Event()

        def note() -> None:
            self.app.note_finished()
            noted.set()

        self.thread.call_soon(note)
        assert noted.wait(10), "the gateway's loop did not answer"
        return self._records

    @property
    def unnoted_records(self) -> list[RequestRecord]:
        """What the sink has received so far, without asking the gateway for the rest."""
        return self._records

    def url(self, endpoint: str, path: str = "score") -> str:
        return f"{self.base}/endpoints/{endpoint}/{path}"

    def score(self, endpoint: str, key: str | None = KEY1, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        kwargs.setdefault("content", b'{"data": [1, 2, 3]}')
        path = kwargs.pop("path", "score")
        return self.client.post(self.url(endpoint, path), headers=headers, **kwargs)


def endpoint(
    name: str,
    deployments: dict[str, DeploymentRoute],
    traffic: dict[str, int] | None = None,
    **kwargs: Any,
) -> EndpointRoute:
    return EndpointRoute(
        name,
        keys=kwargs.pop("keys", (KEY1, KEY2)),
        traffic=traffic if traffic is not None else {next(iter(deployments)): 100},
        deployments=deployments,
        **kwargs,
    )


@pytest.fixture
def make_gateway() -> Iterator[Callable[..., Gateway]]:
    running: list[Gateway] = []

    def make(*routes: EndpointRoute, **options: Any) -> Gateway:
        table = RoutingTable(routes)
        records: list[RequestRecord] = []
        app = GatewayApp(table, token_verifier=verify_token, sink=records.append, **options)
        gateway = Gateway(GatewayThread(app).start(), table, records)
        running.append(gateway)
        return gateway

    yield make
    for gateway in running:
        gateway.client.close()
        gateway.thread.stop()
