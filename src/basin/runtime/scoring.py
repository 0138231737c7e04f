"""Score one request: build ``run()``'s arguments, call it, and turn its result into a reply.

This is the part of a request that runs in a worker thread (sync ``run()``) or on the event loop
(``async def run``); errors become the azmlinfsrv responses here, so the HTTP layer only moves bytes.
"""

from __future__ import annotations

import inspect
import logging
import os
import time
import traceback
from collections.abc import Awaitable
from typing import Any, NoReturn, Tuple

from basin.runtime.amlresponse import AMLResponse
from basin.runtime.encoding import dumps
from basin.runtime.inputs import InputError, ScoreRequest, UnsupportedMethod, build_arguments
from basin.runtime.userscript import UserScript

__all__ = ["PendingReply", "Reply", "Scorer", "error_reply"]

logger = logging.getLogger("azmlinfsrv")

Header = Tuple[bytes, bytes]

_JSON_HEADERS: list[Header] = [
    (b"content-type", b"application/json"),
    (b"x-ms-run-function-failed", b"False"),
]
_JSON_FAILED_HEADERS: list[Header] = [
    (b"content-type", b"application/json"),
    (b"x-ms-run-function-failed", b"True"),
]
_OPTIONS_HEADERS: list[Header] = [
    (b"content-type", b"text/html; charset=utf-8"),
    (b"x-ms-run-function-failed", b"False"),
]
_NO_BODY_STATUSES = frozenset({204, 304})
# Results of these types are neither responses nor awaitables: skip those checks for them.
_PLAIN = frozenset({dict, list, str, int, float, bool, tuple, type(None)})

SCRIPT_ERROR = "An unexpected error occurred in scoring script. Check the logs for more info."
#: The exit status of a process the kernel's out-of-memory killer ended (128 + SIGKILL).
OUT_OF_MEMORY_EXIT = 137


def out_of_memory() -> NoReturn:
    """``run()`` reached the replica's memory limit (its instance type's, an rlimit where basin
    can make no cgroup; in a cgroup the kernel kills the replica instead): the replica exits
    at once, as a container the out-of-memory killer ends in Azure, and its supervisor starts
    a fresh one. Carrying on would leave a replica that fails every request with the memory it
    still holds."""
    logger.critical(
        "run() ran out of memory (the instance type's limit): this replica exits and is "
        "restarted, as an out-of-memory kill restarts a container"
    )
    logging.shutdown()  # the batched log lines go out first
    os._exit(OUT_OF_MEMORY_EXIT)


INTERNAL_ERROR = "An unexpected internal error occurred. Check the logs for more info."


class Reply:
    """A finished response: status, headers (without length), body, and ``run()``'s time."""

    __slots__ = ("body", "exec_ms", "headers", "status")

    def __init__(
        self, status: int, headers: list[Header], body: bytes, exec_ms: float | None = None
    ) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.exec_ms = exec_ms


def error_reply(status: int, message: str, run_failed: bool = False) -> Reply:
    """azmlinfsrv's ``{"message": ...}`` error response."""
    headers = _JSON_FAILED_HEADERS if run_failed else _JSON_HEADERS
    return Reply(status, headers, dumps({"message": message}))


def _response_reply(response: Any, exec_ms: float) -> Reply:
    """An ``AMLResponse`` (or a Flask/werkzeug ``Response``) returned by ``run()``."""
    status = int(response.status_code)
    headers: list[Header] = []
    failed_seen = False
    for name, value in response.headers:
        lname = name.lower()
        if lname == "content-length":
            continue  # recomputed from the body
        if lname == "x-ms-run-function-failed":
            failed_seen = True
            if status >= 500:
                value = "True"
        headers.append((lname.encode("latin-1"), str(value).encode("latin-1")))
    if status >= 500 and not failed_seen:
        headers.append((b"x-ms-run-function-failed", b"True"))
    body = b"" if status in _NO_BODY_STATUSES else response.get_data()
    return Reply(status, headers, body, exec_ms)


class Scorer:
    """Calls one loaded script's ``run()`` and shapes the answer."""

    def __init__(self, script: UserScript) -> None:
        self.script = script
        self._run = script.run

    def _prepare(self, request: ScoreRequest) -> dict[str, Any] | Reply:
        try:
            return build_arguments(self.script, request)
        except UnsupportedMethod:
            if request.scope["method"] == "OPTIONS":
                return Reply(200, _OPTIONS_HEADERS, b"")  # azmlinfsrv: AMLResponse("", 200)
            return error_reply(405, "Method not allowed")
        except InputError as ex:
            return error_reply(ex.status, str(ex))

    def _finish(self, result: Any, exec_ms: float) -> Reply:
        try:
            if type(result) in _PLAIN:
                body = b"{}" if result is None else dumps(result)
            elif isinstance(result, AMLResponse) or (
                hasattr(result, "status_code") and hasattr(result, "get_data")
            ):
                logger.info("run() output is HTTP Response")
                return _response_reply(result, exec_ms)
            else:
                body = dumps(result)
        except MemoryError:
            out_of_memory()
        except Exception:
            logger.error(f"Encountered Exception: {traceback.format_exc()}")
            return error_reply(500, INTERNAL_ERROR)
        return Reply(200, _JSON_HEADERS, body, exec_ms)

    def score(self, request: ScoreRequest) -> Reply | PendingReply:
        """Score synchronously (in a worker thread, or inline)."""
        prepared = self._prepare(request)
        if isinstance(prepared, Reply):
            return prepared
        start = time.perf_counter()
        try:
            result = self._run(**prepared)
        except MemoryError:
            out_of_memory()
        except Exception:
            logger.error(f"Encountered Exception: {traceback.format_exc()}")
            return error_reply(500, SCRIPT_ERROR, run_failed=True)
        exec_ms = (time.perf_counter() - start) * 1000.0
        if type(result) not in _PLAIN and inspect.isawaitable(result):
            # run() looked synchronous but returned an awaitable: the loop finishes it.
            return PendingReply(result, start, self)
        return self._finish(result, exec_ms)

    async def score_async(self, request: ScoreRequest) -> Reply:
        """Score an ``async def run`` on the event loop."""
        prepared = self._prepare(request)
        if isinstance(prepared, Reply):
            return prepared
        start = time.perf_counter()
        try:
            result = await self._run(**prepared)
        except MemoryError:
            out_of_memory()
        except Exception:
            logger.error(f"Encountered Exception: {traceback.format_exc()}")
            return error_reply(500, SCRIPT_ERROR, run_failed=True)
        return self._finish(result, (time.perf_counter() - start) * 1000.0)


class PendingReply:
    """A ``run()`` result that still has to be awaited on the event loop."""

    __slots__ = ("awaitable", "scorer", "start")

    def __init__(self, awaitable: Awaitable[Any], start: float, scorer: Scorer) -> None:
        self.awaitable = awaitable
        self.start = start
        self.scorer = scorer

    async def resolve(self) -> Reply:
        try:
            result = await self.awaitable
        except MemoryError:
            out_of_memory()
        except Exception:
            logger.error(f"Encountered Exception: {traceback.format_exc()}")
            return error_reply(500, SCRIPT_ERROR, run_failed=True)
        return self.scorer._finish(result, (time.perf_counter() - self.start) * 1000.0)
