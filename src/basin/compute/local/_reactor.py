"""The supervisor's one wait: a selector over replica output, exit and probe sockets."""

from __future__ import annotations

import contextlib
import os
import selectors
import socket
from collections.abc import Callable

__all__ = ["FileLike", "Reactor"]

FileLike = int | socket.socket
Callback = Callable[[], None]


class Reactor:
    """Callbacks on file readiness, plus ``wake()`` so other threads can interrupt ``poll``."""

    def __init__(self) -> None:
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, self._drain_wake)

    def watch(self, fileobj: FileLike, events: int, callback: Callback) -> None:
        try:
            self._selector.modify(fileobj, events, callback)
        except KeyError:
            self._selector.register(fileobj, events, callback)

    def unwatch(self, fileobj: FileLike) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(fileobj)

    def wake(self) -> None:
        """Interrupt ``poll`` (safe from any thread)."""
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(self._wake_w, b"x")  # a full pipe already means "wake up"

    def poll(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds, then run the callbacks of the files that are ready."""
        for key, _ in self._selector.select(max(0.0, timeout)):
            key.data()

    def _drain_wake(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while os.read(self._wake_r, 4096):
                pass

    def close(self) -> None:
        self._selector.close()
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)
