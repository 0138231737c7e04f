"""How often the token endpoint answers one caller, as Entra ID throttles its own.

Two sliding windows: requests per client address (a client that asks for a token on every call
instead of caching it), and failed secret checks per application id (guessing a secret). Past
either limit the endpoint answers 429 with ``Retry-After`` until the window has room again.
Memory stays bounded: the oldest keys are forgotten past ``max_keys``.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

__all__ = ["TokenThrottle"]


class _Windows:
    """Timestamps of recent events per key, at most ``limit`` per ``seconds``."""

    def __init__(self, limit: int, seconds: float, max_keys: int) -> None:
        self.limit = limit
        self.seconds = seconds
        self.max_keys = max_keys
        self._events: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, key: str, now: float) -> deque[float]:
        events = self._events.get(key)
        if events is None:
            events = deque()
            self._events[key] = events
            while len(self._events) > self.max_keys:
                self._events.popitem(last=False)
        else:
            self._events.move_to_end(key)
        while events and events[0] <= now - self.seconds:
            events.popleft()
        return events

    def wait(self, key: str, now: float) -> float:
        """Seconds until ``key`` may have one more event (0: now)."""
        events = self._recent(key, now)
        if len(events) < self.limit:
            return 0.0
        return events[0] + self.seconds - now

    def add(self, key: str, now: float) -> None:
        self._recent(key, now).append(now)


class TokenThrottle:
    def __init__(
        self,
        *,
        per_address: tuple[int, float] = (600, 60.0),
        failures_per_client: tuple[int, float] = (10, 60.0),
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._requests = _Windows(*per_address, max_keys)
        self._failures = _Windows(*failures_per_client, max_keys)
        self._clock = clock
        self._lock = threading.Lock()

    def admit(self, address: str, client_id: str) -> float:
        """Count one request; the seconds to wait before trying again, or 0 if admitted."""
        with self._lock:
            now = self._clock()
            wait = max(
                self._requests.wait(address, now), self._failures.wait(client_id.lower(), now)
            )
            if wait > 0:
                return wait
            self._requests.add(address, now)
            return 0.0

    def failed(self, client_id: str) -> None:
        """A wrong secret (or an unknown application) for ``client_id``."""
        with self._lock:
            self._failures.add(client_id.lower(), self._clock())
