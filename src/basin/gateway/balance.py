"""Per-request decisions, precomputed from the routing table: deployment, replica, limits.

The table is data; a :class:`Router` compiles each endpoint entry into an :class:`EndpointPlan`
(key bytes, cumulative weights, header values) once per table change and keeps the live counters
(requests in flight per deployment and per replica, connection pools) across changes. Everything
here runs on the gateway's event loop; the table may be written from any thread.
"""

from __future__ import annotations

import asyncio
import hashlib
from bisect import bisect_right
from collections import deque
from typing import Final

from basin.gateway.metrics import GatewayMetrics, Series
from basin.gateway.table import EndpointRoute, RoutingTable, TokenVerifier
from basin.gateway.upstream import ReplicaPool

__all__ = ["DeploymentState", "EndpointPlan", "ReplicaState", "Router"]


class ReplicaState:
    """One ready replica: its connection pool and how many requests it is serving."""

    __slots__ = ("address", "in_flight", "pool")

    def __init__(self, address: str) -> None:
        self.address = address
        self.pool = ReplicaPool(address)
        self.in_flight = 0


#: Requests waiting for room, per deployment, at most this many times its in-flight limit.
_QUEUE_PER_SLOT: Final = 64


def _expire(waiter: asyncio.Future[bool]) -> None:
    if not waiter.done():
        waiter.set_result(False)


class DeploymentState:
    """One deployment's live state; kept across table changes so counters stay true.

    At most ``limit`` requests are in flight (Azure's 2 x max_concurrent_requests_per_instance
    x ready instances); one past it waits in a FIFO queue for up to ``queue_wait_s``
    (``max_queue_wait_ms``) and gets its 429 only then. A slot that frees is handed to the
    first waiter directly (``reserved``), so a newcomer cannot take it in between.
    """

    __slots__ = (
        "_cursor",
        "endpoint",
        "header",
        "in_flight",
        "limit",
        "name",
        "queue_wait_s",
        "replicas",
        "reserved",
        "series",
        "timeout_s",
        "waiters",
    )

    def __init__(self, endpoint: str, name: str, series: Series) -> None:
        self.endpoint = endpoint
        self.name = name
        # The response header naming the deployment that answered, built once.
        self.header = (b"azureml-model-deployment", name.encode("latin-1"))
        self.series = series
        self.replicas: list[ReplicaState] = []
        self.limit = 0
        self.timeout_s = 5.0
        self.queue_wait_s = 0.5
        self.in_flight = 0
        self.reserved = 0
        self.waiters: deque[asyncio.Future[bool]] = deque()
        self._cursor = 0

    def has_room(self) -> bool:
        return self.in_flight + self.reserved < self.limit

    async def wait_for_room(self) -> bool:
        """Queue for a slot for up to ``queue_wait_s``; True once one is handed over (the
        caller then starts its request without waiting again), False when the wait ends."""
        if self.queue_wait_s <= 0 or len(self.waiters) >= _QUEUE_PER_SLOT * max(self.limit, 1):
            return False
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[bool] = loop.create_future()
        self.waiters.append(waiter)
        expiry = loop.call_later(self.queue_wait_s, _expire, waiter)
        try:
            granted = await waiter
        except asyncio.CancelledError:  # the client went away while it waited
            if waiter.done() and not waiter.cancelled() and waiter.result():
                self.reserved -= 1
                self.wake()
            raise
        finally:
            expiry.cancel()
        if granted:
            self.reserved -= 1
        return granted

    def leave(self) -> None:
        """A request in flight is over: its slot goes to the first waiter, if any."""
        self.in_flight -= 1
        self.wake()

    def wake(self) -> None:
        """Hand free slots to waiters, first come first served (also after the limit grew)."""
        waiters = self.waiters
        while waiters and self.in_flight + self.reserved < self.limit:
            waiter = waiters.popleft()
            if not waiter.done():
                self.reserved += 1
                waiter.set_result(True)

    def pick_other(self, refused: ReplicaState) -> ReplicaState | None:
        """Another replica than ``refused`` (which could not be connected to), if any."""
        others = [r for r in self.replicas if r is not refused]
        return min(others, key=lambda r: r.in_flight) if others else None

    def pick(self) -> ReplicaState:
        """The replica with the fewest requests in flight; ties go round robin."""
        replicas = self.replicas
        count = len(replicas)
        if count == 1:
            return replicas[0]
        self._cursor = start = (self._cursor + 1) % count
        best = replicas[start]
        for offset in range(1, count):
            candidate = replicas[(start + offset) % count]
            if candidate.in_flight < best.in_flight:
                best = candidate
        return best


class EndpointPlan:
    """An endpoint entry compiled for the request path."""

    __slots__ = ("by_header", "cumulative", "keys", "live", "mirror", "route", "series", "verifier")

    def __init__(
        self,
        route: EndpointRoute,
        states: dict[str, DeploymentState],
        series: Series,
        verifier: TokenVerifier | None,
    ) -> None:
        self.route = route
        self.series = series  # requests refused before a deployment was chosen
        # Keys are compared as SHA-256 digests: a route read from disk carries only those.
        digests = tuple(hashlib.sha256(key.encode()).digest() for key in route.keys)
        digests += tuple(bytes.fromhex(h) for h in route.key_hashes)
        self.keys = digests if route.auth_mode == "key" else None
        self.verifier = verifier
        # Header values arrive as bytes: look deployments up without decoding.
        self.by_header = {name.encode("latin-1"): state for name, state in states.items()}
        self.live: list[DeploymentState] = []
        self.cumulative: list[int] = []
        total = 0
        for name, weight in route.traffic.items():
            if weight > 0:
                total += weight
                self.live.append(states[name])
                self.cumulative.append(total)
        mirror = route.mirror
        self.mirror = (
            (states[mirror.deployment], mirror.percent)
            if mirror is not None and mirror.percent > 0
            else None
        )

    def choose(self, roll: float) -> DeploymentState | None:
        """The live deployment for a uniform ``roll`` in [0, 1), or None if none has traffic."""
        live = self.live
        if len(live) < 2:  # most endpoints: nothing to split
            return live[0] if live else None
        return live[bisect_right(self.cumulative, roll * self.cumulative[-1])]


def worker_share(total: int, index: int, workers: int) -> int:
    """Worker ``index``'s part of ``total`` (the parts add up to it; none is 0 while total is
    at least ``workers``)."""
    return total // workers + (1 if index < total % workers else 0)


class Router:
    """Compiles the routing table into plans on the event loop, lazily, when it changes."""

    def __init__(
        self,
        table: RoutingTable,
        metrics: GatewayMetrics,
        default_verifier: TokenVerifier | None,
        share: tuple[int, int] = (0, 1),
    ) -> None:
        self.table = table
        #: (this worker, workers): each of several gateway processes holds its share of every
        #: in-flight limit, so together they never let more through than Azure's limit.
        self.share = share
        self.metrics = metrics
        self.default_verifier = default_verifier
        self.plans: dict[str, EndpointPlan] = {}
        self._states: dict[tuple[str, str], DeploymentState] = {}
        self._replicas: dict[str, ReplicaState] = {}
        self._version = -1

    def plan(self, endpoint: str) -> EndpointPlan | None:
        if self.table.version != self._version:
            self.sync()
        return self.plans.get(endpoint)

    def sync(self) -> None:
        """Bring the plans up to date with the table (runs once per table change)."""
        version = self.table.version  # read before the snapshot: a later write syncs again
        routes = self.table.snapshot()
        plans: dict[str, EndpointPlan] = {}
        for name, route in routes.items():
            old = self.plans.get(name)
            plans[name] = old if old is not None and old.route is route else self._compile(route)
        self.plans = plans
        self._version = version
        self._forget_unused()

    def _compile(self, route: EndpointRoute) -> EndpointPlan:
        states: dict[str, DeploymentState] = {}
        for name, deployment in route.deployments.items():
            state = self._states.get((route.name, name))
            if state is None:
                state = DeploymentState(route.name, name, self.metrics.series(route.name, name))
                self._states[(route.name, name)] = state
            state.replicas = [self._replica(address) for address in deployment.replicas]
            total = 2 * deployment.max_concurrent_requests_per_instance * len(deployment.replicas)
            state.limit = worker_share(total, *self.share)
            state.timeout_s = deployment.request_timeout_ms / 1000
            state.queue_wait_s = deployment.max_queue_wait_ms / 1000
            state.wake()  # the limit may have grown
            states[name] = state
        verifier = route.token_verifier or self.default_verifier
        return EndpointPlan(route, states, self.metrics.series(route.name, ""), verifier)

    def _replica(self, address: str) -> ReplicaState:
        replica = self._replicas.get(address)
        if replica is None:
            replica = self._replicas[address] = ReplicaState(address)
        return replica

    def _forget_unused(self) -> None:
        """Drop the state of deployments and replicas the table no longer names."""
        wanted_states = {
            (plan.route.name, name)
            for plan in self.plans.values()
            for name in plan.route.deployments
        }
        for key in [k for k in self._states if k not in wanted_states]:
            del self._states[key]
        wanted = {
            address
            for plan in self.plans.values()
            for deployment in plan.route.deployments.values()
            for address in deployment.replicas
        }
        for address in [a for a in self._replicas if a not in wanted]:
            # Requests still using it finish; their connections close when released.
            self._replicas.pop(address).pool.close()

    def deployment_states(self) -> list[DeploymentState]:
        return list(self._states.values())

    def close(self) -> None:
        for replica in self._replicas.values():
            replica.pool.close()
        self._replicas.clear()
