"""gateway.flow.WriteFlow: a writer waits while the transport is paused, and never for ever."""

from __future__ import annotations

import asyncio

from basin.gateway.flow import WriteFlow


def test_a_writer_waits_until_resumed_or_the_connection_is_lost() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        flow = WriteFlow()
        await asyncio.wait_for(flow.drained(loop), 1)  # not paused: at once
        for end in (flow.resume, flow.lost):
            flow.pause()
            waiting = loop.create_task(flow.drained(loop))
            await asyncio.sleep(0.01)
            assert not waiting.done()
            end()
            await asyncio.wait_for(waiting, 1)
            assert not flow.paused

    asyncio.run(main())
