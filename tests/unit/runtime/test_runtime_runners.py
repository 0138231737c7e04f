"""Thread pool and inline runners: results, errors and the scoring timeout."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from basin.runtime.runners import AdaptiveRunner, InlineRunner, ScoringTimeout, ThreadPoolRunner


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


def _name(_: object) -> str:
    return threading.current_thread().name


def test_adaptive_runner_moves_fast_calls_inline_and_keeps_the_timeout() -> None:
    async def main() -> None:
        runner = AdaptiveRunner(ThreadPoolRunner(1, timeout_s=0.2), fast_s=0.05, streak=3)
        runner.start()
        try:
            assert [await runner.call(_name, None) for _ in range(3)] == ["basin-run-0"] * 3
            assert await runner.call(_name, None) == "MainThread"
            with pytest.raises(ScoringTimeout):  # inline, SIGALRM still ends a spinning run()
                await runner.call(_spin, None)
            assert not runner.inline_now
            # back in the pool: twice the streak (6 fast calls) before the next move
            assert [await runner.call(_name, None) for _ in range(6)] == ["basin-run-0"] * 6
            assert await runner.call(_name, None) == "MainThread"
        finally:
            runner.close()

    asyncio.run(main())


def test_adaptive_runner_errors_count_as_calls_and_slow_ones_reset_the_streak() -> None:
    async def main() -> None:
        runner = AdaptiveRunner(ThreadPoolRunner(1, timeout_s=5), fast_s=0.05, streak=2)
        runner.start()
        try:
            assert await runner.call(_name, None) == "basin-run-0"
            await runner.call(time.sleep, 0.1)  # slow: the streak starts again
            with pytest.raises(ValueError, match="boom"):
                await runner.call(_fail, None)  # a fast call, even though it raised
            assert await runner.call(_name, None) == "basin-run-0"
            assert await runner.call(_name, None) == "MainThread"
        finally:
            runner.close()

    asyncio.run(main())


def test_adaptive_runner_stays_in_the_pool_without_sigalrm() -> None:
    # Outside the main thread no SIGALRM timeout can be set, so no call may run inline.
    names: list[str] = []

    async def main() -> None:
        runner = AdaptiveRunner(ThreadPoolRunner(1, timeout_s=5), fast_s=0.05, streak=2)
        runner.start()
        try:
            names.extend([await runner.call(_name, None) for _ in range(10)])
        finally:
            runner.close()

    thread = threading.Thread(target=lambda: asyncio.run(main()))
    thread.start()
    thread.join(30)
    assert names == ["basin-run-0"] * 10
