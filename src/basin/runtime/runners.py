"""Where a synchronous ``run()`` executes: a bounded thread pool (default) or inline on the loop.

Both enforce ``SCORING_TIMEOUT_MS``. azmlinfsrv interrupts a late ``run()`` with SIGALRM, which
only works in the main thread; the pool does the thread equivalent: it answers the request with a
timeout at once and raises ``ScoringInterrupted`` inside the worker thread
(``PyThreadState_SetAsyncExc``), which, like SIGALRM, takes effect at the next Python bytecode
(a ``run()`` blocked inside C code keeps its thread until that call returns).

Deadlines are checked by one periodic sweep (pool) or one re-armed interval timer (inline)
rather than a timer per request: a timer per request costs more than the rest of a fast request.

The default is ``AdaptiveRunner``: the pool, except while ``run()`` keeps finishing in well under
a millisecond, when the hop to a thread and back costs more than ``run()`` itself; those calls run
inline until one of them is slow.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import queue
import signal
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

__all__ = [
    "AdaptiveRunner",
    "InlineRunner",
    "Runner",
    "ScoringInterrupted",
    "ScoringTimeout",
    "ThreadPoolRunner",
]

logger = logging.getLogger("azmlinfsrv")


class ScoringTimeout(Exception):
    """``run()`` did not finish within the scoring timeout."""


class ScoringInterrupted(BaseException):
    """Raised inside a late ``run()``; a BaseException so ``except Exception`` cannot swallow it."""


class Runner(Protocol):
    def start(self) -> None: ...

    async def call(self, fn: Callable[[Any], Any], arg: Any) -> Any: ...

    def close(self) -> None: ...


_QUEUED, _RUNNING, _DONE, _ABANDONED = range(4)


class _Job:
    __slots__ = ("arg", "deadline", "fn", "future", "lock", "loop", "state", "thread")

    def __init__(
        self,
        fn: Callable[[Any], Any],
        arg: Any,
        loop: asyncio.AbstractEventLoop,
        future: Any,
        deadline: float,
    ) -> None:
        self.fn = fn
        self.arg = arg
        self.loop = loop
        self.future = future
        self.deadline = deadline
        self.lock = threading.Lock()
        self.state = _QUEUED
        self.thread = 0


def _resolve(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)


def _interrupt(thread_id: int) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(ScoringInterrupted)
    )


def _sweep_interval(timeout_s: float) -> float:
    # Deadlines are honoured to within a tenth of the timeout (at most 100 ms late).
    return min(max(timeout_s / 10.0, 0.005), 0.1)


class ThreadPoolRunner:
    """``size`` daemon threads fed by one queue; the timeout counts from submission."""

    def __init__(self, size: int, timeout_s: float, name: str = "basin-run") -> None:
        if size < 1:
            raise ValueError("a thread pool needs at least one thread")
        self.size = size
        self.timeout_s = timeout_s
        self._name = name
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._inflight: set[_Job] = set()
        self._sweeping = False
        self._interval = _sweep_interval(timeout_s)

    def start(self) -> None:
        """Start the threads (done by the app at startup, else on the first call)."""
        if self._threads:
            return
        for i in range(self.size):
            thread = threading.Thread(target=self._work, name=f"{self._name}-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)

    async def call(self, fn: Callable[[Any], Any], arg: Any) -> Any:
        if not self._threads:
            self.start()
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        job = _Job(fn, arg, loop, future, loop.time() + self.timeout_s)
        inflight = self._inflight
        inflight.add(job)
        if not self._sweeping:
            self._sweeping = True
            loop.call_later(self._interval, self._sweep, loop)
        self._queue.put(job)
        try:
            return await future
        finally:
            inflight.discard(job)

    def _sweep(self, loop: asyncio.AbstractEventLoop) -> None:
        now = loop.time()
        for job in [job for job in self._inflight if job.deadline <= now]:
            self._expire(job)
        if self._inflight:
            loop.call_later(self._interval, self._sweep, loop)
        else:
            self._sweeping = False

    def _expire(self, job: _Job) -> None:
        with job.lock:
            if job.state == _DONE:
                return
            if job.state == _RUNNING:
                _interrupt(job.thread)
            job.state = _ABANDONED
        self._inflight.discard(job)
        _resolve(job.future, None, ScoringTimeout())

    def _work(self) -> None:
        ident = threading.get_ident()
        while True:
            try:
                job = self._queue.get()
                if job is None:
                    return
                self._execute(job, ident)
            except ScoringInterrupted:
                # A late interrupt for a job the loop has already answered.
                continue

    def _execute(self, job: _Job, ident: int) -> None:
        with job.lock:
            if job.state == _ABANDONED:
                return
            job.state, job.thread = _RUNNING, ident
        error: BaseException | None = None
        result: Any = None
        try:
            result = job.fn(job.arg)
        except ScoringInterrupted:
            raise
        except BaseException as ex:
            error = ex
        # _expire sets the async exception only while it holds the lock and the job is RUNNING,
        # so a pending interrupt is raised here (at the lock call) and never escapes the worker.
        with job.lock:
            if job.state == _ABANDONED:
                return
            job.state = _DONE
        job.loop.call_soon_threadsafe(_resolve, job.future, result, error)

    def close(self) -> None:
        for _ in self._threads:
            self._queue.put(None)
        self._threads.clear()


class InlineRunner:
    """Runs ``run()`` on the event loop thread: fastest for tiny ``run()``s, but a slow one blocks
    everything, liveness included. The timeout uses SIGALRM as azmlinfsrv does (main thread only);
    the interval timer is armed once and re-armed from its handler, not set per call.
    """

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._armed = False
        self._started = 0.0
        self._timer_pending = False
        self._installed = False

    def start(self) -> None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGALRM, self._alarm)
            self._installed = True

    @property
    def enforces_timeout(self) -> bool:
        """False where SIGALRM cannot be used (started outside the main thread)."""
        return self._installed

    def _alarm(self, signum: int, frame: Any) -> None:
        if not self._armed:
            self._timer_pending = False
            return
        remaining = self._started + self.timeout_s - time.monotonic()
        if remaining > 0:
            signal.setitimer(signal.ITIMER_REAL, remaining)
            return
        self._timer_pending = False
        raise ScoringInterrupted()

    async def call(self, fn: Callable[[Any], Any], arg: Any) -> Any:
        # run() must not see the server's loop as running, as it does not under azmlinfsrv or
        # in a pool thread: a sync run() may call asyncio.run() for an async client.
        loop = asyncio._get_running_loop()
        asyncio._set_running_loop(None)
        try:
            if not self._installed:
                return fn(arg)
            self._started = time.monotonic()
            self._armed = True
            try:
                if not self._timer_pending:
                    self._timer_pending = True
                    signal.setitimer(signal.ITIMER_REAL, self.timeout_s)
                return fn(arg)
            except ScoringInterrupted:
                raise ScoringTimeout() from None
            finally:
                self._armed = False
        finally:
            asyncio._set_running_loop(loop)

    def close(self) -> None:
        if self._installed:
            signal.setitimer(signal.ITIMER_REAL, 0)


class _Timed:
    """Wraps ``fn`` to record how long its last call took (in whichever thread ran it)."""

    __slots__ = ("elapsed", "fn")

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.fn = fn
        self.elapsed = float("inf")

    def __call__(self, arg: Any) -> Any:
        start = time.perf_counter()
        try:
            return self.fn(arg)
        finally:
            self.elapsed = time.perf_counter() - start


class AdaptiveRunner:
    """The pool, with a fast lane: after ``streak`` calls in a row that each finished within
    ``fast_s``, calls run inline (no thread hop); the first inline call that takes longer sends
    the next calls back to the pool, and doubles the streak needed to come back, so a script
    with occasional slow calls settles in the pool.

    Inline calls keep the scoring timeout through SIGALRM; where that is unavailable (not the
    main thread) every call stays in the pool. While a call runs inline the event loop waits for
    it, liveness included, as it always does under azmlinfsrv's sync worker.
    """

    def __init__(self, pool: ThreadPoolRunner, fast_s: float, streak: int = 64) -> None:
        self.pool = pool
        self.inline = InlineRunner(pool.timeout_s)
        self.fast_s = fast_s
        self.inline_now = False
        self._needed = streak
        self._streak = 0

    def start(self) -> None:
        self.pool.start()
        self.inline.start()

    async def call(self, fn: Callable[[Any], Any], arg: Any) -> Any:
        if self.inline_now:
            start = time.perf_counter()
            try:
                return await self.inline.call(fn, arg)
            finally:
                if time.perf_counter() - start > self.fast_s:
                    self._to_pool()
        timed = _Timed(fn)
        try:
            return await self.pool.call(timed, arg)
        finally:
            self._observe(timed.elapsed)

    def _observe(self, elapsed: float) -> None:
        if elapsed > self.fast_s:
            self._streak = 0
            return
        self._streak += 1
        if self._streak >= self._needed and not self.inline_now and self.inline.enforces_timeout:
            self.inline_now = True
            logger.info(
                f"run() finished within {self.fast_s * 1000:g} ms {self._streak} times in a row: "
                "running it on the event loop"
            )

    def _to_pool(self) -> None:
        self.inline_now = False
        self._streak = 0
        self._needed *= 2
        logger.info(
            f"run() took longer than {self.fast_s * 1000:g} ms: running it in the thread pool"
        )

    def close(self) -> None:
        self.pool.close()
        self.inline.close()
