"""Environment builds in the background: one worker pool, one build per content hash at a time."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from basin.envbuild import BuiltEnvironment, EnvironmentBuilder

__all__ = ["BuildManager"]


class BuildManager:
    """Runs builds on a small pool; requests for a key already building share its future."""

    def __init__(self, builder: EnvironmentBuilder, *, workers: int = 2) -> None:
        self.builder = builder
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="env-build")
        self._running: dict[str, Future[BuiltEnvironment]] = {}
        self._lock = threading.Lock()

    def submit(self, key: str, work: Callable[[], BuiltEnvironment]) -> Future[BuiltEnvironment]:
        with self._lock:
            running = self._running.get(key)
            if running is not None and not running.done():
                return running
            future = self._pool.submit(work)
            self._running[key] = future
            future.add_done_callback(lambda _f: self._forget(key, future))
            return future

    def _forget(self, key: str, future: Future[BuiltEnvironment]) -> None:
        with self._lock:
            if self._running.get(key) is future:
                del self._running[key]

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
