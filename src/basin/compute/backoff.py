"""Restart back-off as a pure function over the timestamps of a replica's past runs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from basin.errors import ValidationError

__all__ = ["RestartPolicy", "Run", "crash_streak", "restart_delay"]


@dataclass(frozen=True)
class RestartPolicy:
    """How a supervisor restarts replicas that end.

    The n-th quick exit in a row waits ``initial * factor**(n-1)`` seconds, at most ``maximum``;
    a run that lasted ``stable_after`` seconds or more ends the streak, so a replica that
    crashes once a day restarts at once. A replica that never became ready gets
    ``start_attempts`` processes before it is reported as failed.
    """

    initial: float = 0.5
    factor: float = 2.0
    maximum: float = 30.0
    stable_after: float = 60.0
    start_attempts: int = 3

    def __post_init__(self) -> None:
        numbers = (self.initial, self.factor, self.maximum, self.stable_after)
        if not all(math.isfinite(n) and n >= 0 for n in numbers) or self.factor < 1:
            raise ValidationError("Restart policy values must be finite, >= 0 (factor >= 1).")
        if self.start_attempts < 1:
            raise ValidationError("start_attempts must be 1 or more.")


@dataclass(frozen=True)
class Run:
    """One process of a replica: when it started and when it ended (same clock)."""

    started: float
    ended: float


def crash_streak(policy: RestartPolicy, runs: Sequence[Run]) -> int:
    """How many runs in a row, counting back from the last, ended before being stable."""
    streak = 0
    for run in reversed(runs):
        if run.ended - run.started >= policy.stable_after:
            break
        streak += 1
    return streak


def restart_delay(policy: RestartPolicy, runs: Sequence[Run]) -> float:
    """Seconds to wait, after the last run ended, before starting the next one."""
    streak = crash_streak(policy, runs)
    if streak == 0:
        return 0.0
    delay = policy.initial
    for _ in range(streak - 1):  # multiplied step by step so a long streak cannot overflow
        if delay >= policy.maximum:
            break
        delay *= policy.factor
    return float(min(policy.maximum, delay))
