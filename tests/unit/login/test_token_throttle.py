"""The token endpoint's throttle: requests per client address, failed secrets per application."""

from __future__ import annotations

from basin.server.login.throttle import TokenThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_requests_per_address_are_limited_in_a_sliding_window() -> None:
    clock = Clock()
    throttle = TokenThrottle(per_address=(3, 60.0), clock=clock)
    assert [throttle.admit("10.0.0.1", "app") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert throttle.admit("10.0.0.1", "app") == 60.0
    assert throttle.admit("10.0.0.2", "app") == 0.0  # another address is not held back
    clock.now += 59.5
    assert throttle.admit("10.0.0.1", "app") == 0.5
    clock.now += 0.5
    assert throttle.admit("10.0.0.1", "app") == 0.0


def test_failed_secrets_hold_back_the_application_from_any_address() -> None:
    clock = Clock()
    throttle = TokenThrottle(failures_per_client=(2, 30.0), clock=clock)
    throttle.failed("App-1")
    throttle.failed("app-1")
    assert throttle.admit("10.0.0.9", "APP-1") == 30.0
    assert throttle.admit("10.0.0.9", "app-2") == 0.0
    clock.now += 30
    assert throttle.admit("10.0.0.9", "app-1") == 0.0


def test_memory_stays_bounded() -> None:
    throttle = TokenThrottle(per_address=(1, 60.0), max_keys=100, clock=Clock())
    for n in range(1000):
        throttle.admit(f"10.0.{n // 256}.{n % 256}", "app")
    assert len(throttle._requests._events) == 100
