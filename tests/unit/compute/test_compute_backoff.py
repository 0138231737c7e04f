"""Restart back-off: a pure function over run timestamps (a fake clock, no sleeping)."""

from __future__ import annotations

from typing import Any

import pytest

from basin.compute import RestartPolicy, Run, crash_streak, restart_delay
from basin.errors import ValidationError

POLICY = RestartPolicy(initial=0.5, factor=2, maximum=4, stable_after=60, start_attempts=3)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


def crash_after(clock: FakeClock, runs: list[Run], lasted: float, waited: float) -> None:
    started = clock.advance(waited)
    runs.append(Run(started, clock.advance(lasted)))


def test_quick_crashes_back_off_exponentially_up_to_the_maximum() -> None:
    clock, runs, delays = FakeClock(), list[Run](), list[float]()
    for _ in range(6):
        crash_after(clock, runs, lasted=1, waited=delays[-1] if delays else 0)
        delays.append(restart_delay(POLICY, runs))
    assert delays == [0.5, 1, 2, 4, 4, 4]


def test_a_stable_run_resets_the_back_off() -> None:
    clock, runs = FakeClock(), list[Run]()
    for _ in range(4):
        crash_after(clock, runs, lasted=1, waited=1)
    assert restart_delay(POLICY, runs) == 4
    crash_after(clock, runs, lasted=60, waited=4)  # ran long enough to count as stable
    assert crash_streak(POLICY, runs) == 0
    assert restart_delay(POLICY, runs) == 0
    crash_after(clock, runs, lasted=59.9, waited=0)  # the next quick crash starts over
    assert restart_delay(POLICY, runs) == 0.5


def test_no_runs_means_no_wait() -> None:
    assert restart_delay(POLICY, []) == 0


def test_a_very_long_streak_does_not_overflow() -> None:
    runs = [Run(float(i), float(i) + 0.1) for i in range(5000)]
    huge = RestartPolicy(initial=1, factor=1e300, maximum=30)
    assert restart_delay(huge, runs) == 30
    assert restart_delay(POLICY, runs) == 4


@pytest.mark.parametrize(
    "options",
    [{"initial": -1}, {"factor": 0.5}, {"maximum": float("nan")}, {"start_attempts": 0}],
)
def test_bad_policies_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        RestartPolicy(**options)
