"""asyncio's write flow control for a protocol: paused and resumed by the transport, waited on
by whoever writes."""

from __future__ import annotations

import asyncio

__all__ = ["WriteFlow"]


class WriteFlow:
    """Whether the transport's write buffer is over its high-water mark, and a wait for it to
    drain. A protocol's ``pause_writing``/``resume_writing`` call :meth:`pause`/:meth:`resume`,
    its ``connection_lost`` calls :meth:`lost` (nobody waits for ever on a closed socket)."""

    __slots__ = ("_waiter", "paused")

    def __init__(self) -> None:
        self.paused = False
        self._waiter: asyncio.Future[None] | None = None

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False
        self._release()

    def lost(self) -> None:
        self.paused = False
        self._release()

    async def drained(self, loop: asyncio.AbstractEventLoop) -> None:
        """Return once writing may go on (at once if it is not paused)."""
        if not self.paused:
            return
        self._waiter = loop.create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None

    def _release(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
