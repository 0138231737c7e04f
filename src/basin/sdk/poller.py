"""``BasinPoller``: what ``begin_*`` methods return, shaped like azure-core's ``LROPoller``."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["BasinPoller"]

T = TypeVar("T")


class BasinPoller(Generic[T]):
    """Polls ``check`` until it reports done; ``result()`` returns the final value.

    ``check`` returns ``(done, value, status)``. An operation that finished at once is a poller
    whose first check is already done.
    """

    def __init__(self, check: Callable[[], tuple[bool, T, str]], *, interval: float = 0.2) -> None:
        self._check = check
        self._interval = interval
        self._done, self._value, self._status = check()

    @classmethod
    def completed(cls, value: T, status: str = "Succeeded") -> BasinPoller[T]:
        return cls(lambda: (True, value, status))

    def done(self) -> bool:
        return self._done

    def status(self) -> str:
        return self._status

    def wait(self, timeout: float | None = None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._done:
            if deadline is not None and time.monotonic() >= deadline:
                return
            time.sleep(self._interval)
            self._done, self._value, self._status = self._check()

    def result(self, timeout: float | None = None) -> T:
        self.wait(timeout)
        return self._value
