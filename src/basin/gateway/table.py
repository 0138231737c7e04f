"""The routing table: what the control plane tells the gateway about endpoints and replicas.

Plain frozen data: :class:`EndpointRoute` (auth, keys, traffic, mirror, deployments) holding
:class:`DeploymentRoute` (ready replica addresses and request settings). The
:class:`RoutingTable` swaps a whole endpoint entry at once (copy-on-write), so a request never
sees half an update, and serialises to and from JSON for a gateway run in its own process.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal

from basin.errors import ValidationError

__all__ = [
    "DEFAULT_MAX_CONCURRENT_REQUESTS_PER_INSTANCE",
    "DEFAULT_MAX_QUEUE_WAIT_MS",
    "DEFAULT_REQUEST_TIMEOUT_MS",
    "UNIX_PREFIX",
    "AuthMode",
    "DeploymentRoute",
    "EndpointRoute",
    "MirrorTraffic",
    "RoutingTable",
    "TokenVerifier",
]

DEFAULT_REQUEST_TIMEOUT_MS = 5000
DEFAULT_MAX_CONCURRENT_REQUESTS_PER_INSTANCE = 1
DEFAULT_MAX_QUEUE_WAIT_MS = 500
#: A replica address ``unix:/path`` names a Unix socket (a replica on the gateway's machine).
UNIX_PREFIX = "unix:"

AuthMode = Literal["key", "aml_token"]
TokenVerifier = Callable[[str], None]
"""``verify(token)`` returns to accept a bearer token and raises (any exception) to refuse it."""

_AUTH_MODES = ("key", "aml_token")


def _check_address(address: str) -> None:
    if address.startswith(UNIX_PREFIX):
        if not address[len(UNIX_PREFIX) :].startswith("/"):
            raise ValidationError(
                f"replica address {address!r} must name an absolute path after 'unix:'"
            )
        return
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValidationError(
            f"replica address {address!r} is not of the form 'host:port' or 'unix:/path'"
        )


def _check_positive(name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValidationError(f"{name} must be a positive integer, got {value!r}")


@dataclass(frozen=True, slots=True)
class DeploymentRoute:
    """One deployment: the addresses of its ready replicas (``host:port`` or ``unix:/path``)
    and its request settings."""

    replicas: tuple[str, ...] = ()
    request_timeout_ms: int = DEFAULT_REQUEST_TIMEOUT_MS
    max_concurrent_requests_per_instance: int = DEFAULT_MAX_CONCURRENT_REQUESTS_PER_INSTANCE
    #: How long a request past the in-flight limit may wait for room before its 429 (0: none).
    max_queue_wait_ms: int = DEFAULT_MAX_QUEUE_WAIT_MS

    def __post_init__(self) -> None:
        object.__setattr__(self, "replicas", tuple(self.replicas))
        for address in self.replicas:
            _check_address(address)
        _check_positive("request_timeout_ms", self.request_timeout_ms)
        _check_positive(
            "max_concurrent_requests_per_instance", self.max_concurrent_requests_per_instance
        )
        wait = self.max_queue_wait_ms
        if not isinstance(wait, int) or isinstance(wait, bool) or wait < 0:
            raise ValidationError(f"max_queue_wait_ms must be an integer >= 0, got {wait!r}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "replicas": list(self.replicas),
            "request_timeout_ms": self.request_timeout_ms,
            "max_concurrent_requests_per_instance": self.max_concurrent_requests_per_instance,
            "max_queue_wait_ms": self.max_queue_wait_ms,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DeploymentRoute:
        unknown = set(data) - {
            "replicas",
            "request_timeout_ms",
            "max_concurrent_requests_per_instance",
            "max_queue_wait_ms",
        }
        if unknown:
            raise ValidationError(f"unknown deployment route fields: {sorted(unknown)}")
        return cls(**data)


@dataclass(frozen=True, slots=True)
class MirrorTraffic:
    """A copy of ``percent`` % of the requests (those without a deployment header) goes here."""

    deployment: str
    percent: int

    def __post_init__(self) -> None:
        if not isinstance(self.percent, int) or not 0 <= self.percent <= 100:
            raise ValidationError(f"mirror traffic must be 0-100 %, got {self.percent!r}")


@dataclass(frozen=True)
class EndpointRoute:
    """One endpoint: who may call it and where its traffic goes. Immutable; see ``evolve``."""

    name: str
    auth_mode: AuthMode = "key"
    keys: tuple[str, ...] = field(default=(), repr=False)  # primary, secondary: either works
    #: SHA-256 (hex) of keys: what a route written to disk carries instead of the keys.
    key_hashes: tuple[str, ...] = field(default=(), repr=False)
    traffic: Mapping[str, int] = field(default_factory=dict)
    mirror: MirrorTraffic | None = None
    deployments: Mapping[str, DeploymentRoute] = field(default_factory=dict)
    #: aml_token endpoints: the audience their tokens must carry (the scoring URI), exactly.
    token_audience: str = ""
    # Not part of the JSON form: a gateway fed from JSON uses the verifier it was started with.
    token_verifier: TokenVerifier | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.name or "/" in self.name:
            raise ValidationError(f"endpoint name {self.name!r} is not valid")
        if self.auth_mode not in _AUTH_MODES:
            raise ValidationError(
                f"auth_mode must be one of {', '.join(_AUTH_MODES)}, got {self.auth_mode!r}"
            )
        keys = tuple(self.keys)
        if any(not isinstance(key, str) or not key for key in keys):
            raise ValidationError("endpoint keys must be non-empty strings")
        object.__setattr__(self, "keys", keys)
        hashes = tuple(self.key_hashes)
        if any(not isinstance(h, str) or not re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes):
            raise ValidationError("endpoint key hashes must be SHA-256 hex digests")
        object.__setattr__(self, "key_hashes", hashes)
        deployments = dict(self.deployments)
        for name, deployment in deployments.items():
            if not isinstance(deployment, DeploymentRoute):
                raise ValidationError(f"deployment {name!r} must be a DeploymentRoute")
        traffic = {name: weight for name, weight in dict(self.traffic).items()}
        for name, weight in traffic.items():
            if name not in deployments:
                raise ValidationError(f"traffic names deployment {name!r}, which is not routed")
            if not isinstance(weight, int) or isinstance(weight, bool) or weight < 0:
                raise ValidationError(f"traffic for {name!r} must be an integer >= 0")
        total = sum(traffic.values())
        if total not in (0, 100):
            raise ValidationError(f"traffic must add up to 0 or 100, got {total}")
        if self.mirror is not None and self.mirror.deployment not in deployments:
            raise ValidationError(
                f"mirror traffic names deployment {self.mirror.deployment!r}, which is not routed"
            )
        object.__setattr__(self, "traffic", MappingProxyType(traffic))
        object.__setattr__(self, "deployments", MappingProxyType(deployments))

    def evolve(self, **changes: Any) -> EndpointRoute:
        """A copy with some fields changed (the entry itself never changes)."""
        return replace(self, **changes)

    def with_replicas(self, deployment: str, replicas: Iterable[str]) -> EndpointRoute:
        """A copy where ``deployment`` has these ready replicas."""
        current = self.deployments.get(deployment)
        if current is None:
            raise ValidationError(f"endpoint {self.name!r} has no deployment {deployment!r}")
        updated = replace(current, replicas=tuple(replicas))
        return replace(self, deployments={**self.deployments, deployment: updated})

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (it holds the keys: store it where only the gateway can read it)."""
        return {
            "auth_mode": self.auth_mode,
            "keys": list(self.keys),
            "key_hashes": list(self.key_hashes),
            "traffic": dict(self.traffic),
            "mirror_traffic": (
                {self.mirror.deployment: self.mirror.percent} if self.mirror is not None else {}
            ),
            "deployments": {name: d.to_dict() for name, d in self.deployments.items()},
            "token_audience": self.token_audience,
        }

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any]) -> EndpointRoute:
        known = {
            "auth_mode", "keys", "key_hashes", "traffic", "mirror_traffic", "deployments",
            "token_audience",
        }  # fmt: skip
        unknown = set(data) - known
        if unknown:
            raise ValidationError(f"unknown endpoint route fields: {sorted(unknown)}")
        mirrors = {k: v for k, v in dict(data.get("mirror_traffic") or {}).items() if v}
        if len(mirrors) > 1:
            raise ValidationError("mirror traffic can go to one deployment only")
        mirror = MirrorTraffic(*next(iter(mirrors.items()))) if mirrors else None
        return cls(
            name=name,
            auth_mode=data.get("auth_mode", "key"),
            keys=tuple(data.get("keys", ())),
            key_hashes=tuple(data.get("key_hashes", ())),
            traffic=dict(data.get("traffic") or {}),
            mirror=mirror,
            deployments={
                d: DeploymentRoute.from_dict(v)
                for d, v in dict(data.get("deployments") or {}).items()
            },
            token_audience=str(data.get("token_audience") or ""),
        )


class RoutingTable:
    """Endpoints by name. Writers replace whole entries; readers never lock.

    Writers may run on any thread: each change builds a new dict and swaps the reference, and
    bumps ``version`` so the gateway notices it on its next request.
    """

    def __init__(self, endpoints: Iterable[EndpointRoute] = ()) -> None:
        self._lock = threading.Lock()
        self._routes: Mapping[str, EndpointRoute] = MappingProxyType(
            {route.name: route for route in endpoints}
        )
        self.version = 0

    def get(self, name: str) -> EndpointRoute | None:
        return self._routes.get(name)

    def snapshot(self) -> Mapping[str, EndpointRoute]:
        """The current entries (a read-only view that later writes do not change)."""
        return self._routes

    def __iter__(self) -> Iterator[EndpointRoute]:
        return iter(self._routes.values())

    def __len__(self) -> int:
        return len(self._routes)

    def put(self, route: EndpointRoute) -> None:
        """Add or replace one endpoint's entry (e.g. new keys take effect on the next request)."""
        with self._lock:
            self._swap({**self._routes, route.name: route})

    def remove(self, name: str) -> bool:
        with self._lock:
            if name not in self._routes:
                return False
            self._swap({k: v for k, v in self._routes.items() if k != name})
            return True

    def set_replicas(self, endpoint: str, deployment: str, replicas: Iterable[str]) -> None:
        """Replace the ready replicas of one deployment (as replicas come and go)."""
        with self._lock:
            route = self._routes.get(endpoint)
            if route is None:
                raise ValidationError(f"no endpoint {endpoint!r} in the routing table")
            self._swap({**self._routes, endpoint: route.with_replicas(deployment, replicas)})

    def replace_all(self, routes: Iterable[EndpointRoute]) -> None:
        """Make the table exactly ``routes`` (e.g. a reloaded JSON file)."""
        with self._lock:
            self._swap({route.name: route for route in routes})

    def _swap(self, routes: dict[str, EndpointRoute]) -> None:
        self._routes = MappingProxyType(routes)
        self.version += 1

    # -- JSON ----------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"endpoints": {name: r.to_dict() for name, r in self._routes.items()}}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @staticmethod
    def routes_from_dict(data: Mapping[str, Any]) -> list[EndpointRoute]:
        endpoints = data.get("endpoints")
        if not isinstance(endpoints, Mapping) or set(data) - {"endpoints"}:
            raise ValidationError("a routing table is an object with one field, 'endpoints'")
        return [EndpointRoute.from_dict(name, entry) for name, entry in endpoints.items()]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RoutingTable:
        return cls(cls.routes_from_dict(data))

    @classmethod
    def from_json(cls, text: str) -> RoutingTable:
        try:
            data = json.loads(text)
        except ValueError as ex:
            raise ValidationError(f"routing table is not valid JSON: {ex}") from None
        if not isinstance(data, Mapping):
            raise ValidationError("a routing table is a JSON object")
        return cls.from_dict(data)
