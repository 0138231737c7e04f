"""Thread pool and inline runners: results, errors and the scoring timeout."""

from __future__ import annotations

import asyncio
import threading

import pytest

from basin.runtime.runners import InlineRunner, ScoringTimeout, ThreadPoolRunner


def _spin(_: object) -> None:
    while True:
        pass


def _fail(_: object) -> None:
    raise ValueError("boom")


def test_pool_runs_in_its_threads_and_passes_errors_on() -> None:
    async def main() -> None:
        pool = ThreadPoolRunner(2, timeout_s=30)
        try:
            name = await pool.call(lambda _: threading.current_thread().name, None)
            assert name.startswith("basin-run-")
            assert await pool.call(lambda x: x * 2, 21) == 42
            with pytest.raises(ValueError, match="boom"):
                await pool.call(_fail, None)
        finally:
            pool.close()

    asyncio.run(main())


def test_pool_timeout_interrupts_the_thread_and_keeps_serving() -> None:
    async def main() -> None:
        pool = ThreadPoolRunner(1, timeout_s=0.2)
        try:
            with pytest.raises(ScoringTimeout):
                await pool.call(_spin, None)
            # One thread only: this succeeds only if the spinning call was interrupted.
            assert await pool.call(lambda x: x, "next") == "next"
        finally:
            pool.close()

    asyncio.run(main())


def test_pool_timeout_covers_queued_work() -> None:
    release = threading.Event()

    async def main() -> None:
        pool = ThreadPoolRunner(1, timeout_s=0.2)
        try:
            blocked = asyncio.ensure_future(pool.call(lambda _: release.wait(30), None))
            await asyncio.sleep(0)  # let it take the only thread
            with pytest.raises(ScoringTimeout):
                await pool.call(lambda x: x, "queued")
            release.set()
            with pytest.raises(ScoringTimeout):
                await blocked  # it was abandoned at its own deadline
        finally:
            release.set()
            pool.close()

    asyncio.run(main())


def test_inline_runner_uses_sigalrm_in_the_main_thread() -> None:
    async def main() -> None:
        runner = InlineRunner(timeout_s=0.2)
        runner.start()
        try:
            assert await runner.call(lambda x: x + 1, 1) == 2
            with pytest.raises(ScoringTimeout):
                await runner.call(_spin, None)
            assert await runner.call(lambda x: x, "after") == "after"
        finally:
            runner.close()

    asyncio.run(main())
