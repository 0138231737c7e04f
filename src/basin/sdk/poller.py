"""``BasinPoller``: what ``begin_*`` methods return, shaped like azure-core's ``LROPoller``.

As with azure-core, a request the server refuses raises at the ``begin_*`` call, while an
operation that was accepted and then failed (a deployment whose replicas never became ready)
raises from ``result()`` (and ``wait()``), not from the call that started it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

from basin.errors import BasinError

__all__ = ["BasinPoller"]

T = TypeVar("T")


class BasinPoller(Generic[T]):
    """Polls ``check`` until it reports done; ``result()`` returns the final value.

    ``check`` returns ``(done, value, status)`` or raises the operation's failure. An operation
    that finished at once is a poller whose first check is already done.
    """

    def __init__(self, check: Callable[[], tuple[bool, T, str]], *, interval: float = 0.2) -> None:
        self._check = check
        self._interval = interval
        self._done = False
        self._value: T | None = None
        self._status = "InProgress"
        self._error: BasinError | None = None
        self._poll()

    @classmethod
    def completed(cls, value: T, status: str = "Succeeded") -> BasinPoller[T]:
        return cls(lambda: (True, value, status))

    def _poll(self) -> None:
        try:
            self._done, self._value, self._status = self._check()
        except BasinError as error:
            self._done, self._status, self._error = True, "Failed", error

    def done(self) -> bool:
        return self._done

    def status(self) -> str:
        return self._status

    def latest(self) -> T | None:
        """What the last poll saw (a deployment still Creating, with what it is doing)."""
        return self._value

    def exception(self) -> BasinError | None:
        """The failure, once done (``None`` while running or after a success)."""
        return self._error

    def wait(self, timeout: float | None = None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._done:
            if deadline is not None and time.monotonic() >= deadline:
                return
            time.sleep(self._interval)
            self._poll()

    def result(self, timeout: float | None = None) -> T:
        self.wait(timeout)
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]
