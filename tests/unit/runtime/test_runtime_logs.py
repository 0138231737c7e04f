"""Log format, the per-request line and the print() redirect."""

from __future__ import annotations

import asyncio
import builtins
import io
import logging
import re

from basin.runtime.logs import RequestLog, configure_logging, redirect_print, restore_print

LINE = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} I \[\d+\] azmlinfsrv - POST /score 200 0\.100ms 8\n"


def _capture() -> tuple[logging.Logger, io.StringIO]:
    configure_logging([])
    logger = logging.getLogger("azmlinfsrv")
    stream = io.StringIO()
    logger.handlers[0].stream = stream  # type: ignore[attr-defined]
    return logger, stream


def test_request_line_fast_path_matches_the_logging_format() -> None:
    logger, stream = _capture()
    RequestLog(logger)("POST /score 200 0.100ms 8")
    logger.info("POST /score 200 0.100ms 8")
    fast, slow = stream.getvalue().splitlines(keepends=True)
    assert re.fullmatch(LINE, fast)
    assert re.fullmatch(LINE, slow)


def test_request_line_goes_through_logging_when_handlers_change() -> None:
    logger, _ = _capture()
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    extra = Keep()
    logger.addHandler(extra)
    try:
        RequestLog(logger)("GET /swagger.json 200 0.100ms 8")
    finally:
        logger.removeHandler(extra)
    assert [r.getMessage() for r in records] == ["GET /swagger.json 200 0.100ms 8"]


def test_print_goes_to_the_print_logger() -> None:
    _, stream = _capture()
    redirect_print()
    try:
        print("hello", 42)
        print("to stderr", file=io.StringIO())  # other files are untouched
    finally:
        restore_print()
    assert builtins.print is restore_print.__globals__["_original_print"]
    assert re.search(r" I \[\d+\] azmlinfsrv\.print - hello 42\n", stream.getvalue())
    assert "to stderr" not in stream.getvalue()


class _CountingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def test_request_lines_are_written_together_and_in_order_with_other_records() -> None:
    # Replicas run unbuffered: a write per request line was a system call per request.
    configure_logging([])
    logger = logging.getLogger("azmlinfsrv")
    stream = _CountingStream()
    logger.handlers[0].stream = stream  # type: ignore[attr-defined]
    log = RequestLog(logger)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for i in range(3):
            log(f"POST /score 200 0.100ms {i}", loop)
        assert stream.writes == 0  # queued, not yet written
        logger.warning("a record after the lines")
        log("POST /score 200 0.100ms 3", loop)
        await asyncio.sleep(RequestLog.FLUSH_DELAY_S * 3)

    asyncio.run(main())
    lines = [line.split(" - ", 1)[1] for line in stream.getvalue().splitlines()]
    assert lines == [
        "POST /score 200 0.100ms 0",
        "POST /score 200 0.100ms 1",
        "POST /score 200 0.100ms 2",
        "a record after the lines",
        "POST /score 200 0.100ms 3",
    ]
    # the three lines in one write, the record, the last line after the delay
    assert stream.writes == 3


def test_queued_request_lines_are_written_at_flush() -> None:
    logger, stream = _capture()

    async def main() -> None:
        RequestLog(logger)("POST /score 200 0.100ms 8", asyncio.get_running_loop())

    asyncio.run(main())  # the loop ends before the timer fires
    assert stream.getvalue() == ""
    logger.handlers[0].flush()  # as logging.shutdown() does at exit
    assert re.fullmatch(LINE, stream.getvalue())
