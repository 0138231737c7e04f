"""proxy.Deadlines: one timer for the timeouts of task-free exchanges, firing on time."""

from __future__ import annotations

import asyncio
from typing import Any

from basin.gateway.proxy import Deadlines


class _Item:
    def __init__(self, name: str, fired: list[tuple[str, float]], loop: Any) -> None:
        self.name, self.fired, self.loop = name, fired, loop

    def expire(self) -> None:
        self.fired.append((self.name, self.loop.time()))


def test_each_deadline_fires_on_time_and_a_removed_one_never() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        deadlines = Deadlines()
        fired: list[tuple[str, float]] = []
        start = loop.time()
        long, short, gone = (_Item(n, fired, loop) for n in ("long", "short", "gone"))
        deadlines.add(long, loop, 0.30)
        deadlines.add(gone, loop, 0.10)
        deadlines.add(short, loop, 0.15)  # earlier than the first: fires first
        assert deadlines.remove(gone) is not None
        assert deadlines.remove(gone) is None
        await asyncio.sleep(0.45)
        assert [name for name, _ in fired] == ["short", "long"]
        for (_, at), wanted in zip(fired, (0.15, 0.30), strict=True):
            assert at - start >= wanted - 0.002  # never early (libuv's clock counts whole ms)
        deadlines.close()

    asyncio.run(main())
