"""Logging as azmlinfsrv does it: same format (UTC), same logger names, ``print()`` redirected.

Format ``%(asctime)s %(levelname).1s [%(process)d] %(name)s - %(message)s``; the ``azmlinfsrv``
logger (and its children ``.user_script``, ``.swagger``, ``.print``) writes to stdout, uvicorn's own
error log to stderr. A ``logging.json`` (``dictConfig``) in ``AML_APP_ROOT`` or the scoring
script's folder replaces this set-up.
"""

from __future__ import annotations

import builtins
import functools
import json
import logging
import logging.config
import os
import sys
import time
from typing import Any

__all__ = [
    "AMLLogFormatter",
    "RequestLog",
    "configure_logging",
    "redirect_print",
    "restore_print",
]

FORMAT = "%(asctime)s %(levelname).1s [%(process)d] %(name)s - %(message)s"

_original_print = builtins.print
_print_logger = logging.getLogger("azmlinfsrv.print")


class AMLLogFormatter(logging.Formatter):
    """azmlinfsrv's formatter: its format, times in UTC."""

    converter = staticmethod(time.gmtime)

    def __init__(self, fmt: str = FORMAT, datefmt: str | None = None, style: Any = "%") -> None:
        super().__init__(fmt=fmt, datefmt=datefmt, style=style)


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The default handler of the ``azmlinfsrv`` logger; ``RequestLog`` recognises it.

    It also holds the request lines ``RequestLog`` has formatted but not yet written: they go out
    in one write at the next flush, or before the next record this handler emits, so the log
    keeps its order. (Replicas run with ``PYTHONUNBUFFERED=1``: every stream write is a system
    call, which per request costs more than a fast request itself.)
    """

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._pending: list[str] = []

    def add_line(self, line: str) -> None:
        """Queue one finished line (with its newline) for the next write."""
        with self.lock:  # type: ignore[union-attr]
            self._pending.append(line)

    def _write_pending(self) -> None:
        # Called with the handler's lock held.
        if self._pending:
            text = "".join(self._pending)
            self._pending.clear()
            self.stream.write(text)

    def emit(self, record: logging.LogRecord) -> None:
        # logging.Handler.handle holds the lock around emit().
        try:
            self._write_pending()
        except Exception:
            self.handleError(record)
        super().emit(record)

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            try:
                self._write_pending()
            except Exception:  # a closed or broken stream: the lines are lost, not the process
                self._pending.clear()
        super().flush()


def _load_logging_json(folders: list[str]) -> str | None:
    for folder in folders:
        path = os.path.join(folder, "logging.json") if folder else ""
        if path and os.path.isfile(path):
            with open(path, encoding="utf-8") as handle:
                logging.config.dictConfig(json.load(handle))
            return path
    return None


def configure_logging(folders: list[str], level: int = logging.INFO) -> None:
    """Set up the runtime's loggers (or the user's ``logging.json`` from one of ``folders``)."""
    loaded = _load_logging_json(folders)
    if loaded is not None:
        logging.getLogger("azmlinfsrv").info(f"Loaded logging config from {loaded}")
        return
    formatter = AMLLogFormatter()
    out = _StdoutHandler(sys.stdout)
    out.setFormatter(formatter)
    err = logging.StreamHandler(sys.stderr)
    err.setFormatter(formatter)
    main = logging.getLogger("azmlinfsrv")
    main.handlers[:] = [out]
    main.setLevel(level)
    main.propagate = False
    for name in ("uvicorn", "uvicorn.error"):
        server_logger = logging.getLogger(name)
        server_logger.handlers[:] = [err] if name == "uvicorn" else []
        server_logger.setLevel(logging.INFO)
        server_logger.propagate = name != "uvicorn"
    # Per-request lines come from the azmlinfsrv logger; uvicorn's access log stays off.
    logging.getLogger("uvicorn.access").disabled = True


@functools.wraps(_original_print)
def _print_to_log(
    *objects: Any,
    sep: str | None = " ",
    end: str | None = "\n",
    file: Any = None,
    flush: bool = False,
) -> None:
    target = file if file is not None else sys.stdout
    if target is sys.stdout:
        _print_logger.info((" " if sep is None else sep).join(map(str, objects)))
    else:
        _original_print(*objects, sep=sep, end=end, file=file, flush=flush)


def redirect_print() -> None:
    """Send ``print()`` to stdout through the ``azmlinfsrv.print`` logger, as azmlinfsrv does."""
    builtins.print = _print_to_log


def restore_print() -> None:
    builtins.print = _original_print


def banner_print(*lines: str) -> None:
    """Write start-up banner lines straight to stdout (not through the print redirect)."""
    for line in lines:
        _original_print(line)
    sys.stdout.flush()


class RequestLog:
    """Writes azmlinfsrv's per-request line (``POST /score 200 0.589ms 43``).

    While the ``azmlinfsrv`` logger has its default set-up, the line is formatted here (the
    timestamp text is cached per second) and queued on the handler, which writes the queued lines
    at most ``FLUSH_DELAY_S`` later in one write: a ``logging`` call, or a system call per line,
    costs more than the rest of a fast request. Any other set-up (``logging.json``, handlers added
    by the script) gets a plain ``logger.info``.
    """

    #: How long a request line may wait before it is written.
    FLUSH_DELAY_S = 0.05

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._logger = logger or logging.getLogger("azmlinfsrv")
        self._pid = os.getpid()
        self._second = -1
        self._stamp = ""
        self._flush_pending = False

    def _default_handler(self) -> _StdoutHandler | None:
        logger = self._logger
        handlers = logger.handlers
        if len(handlers) != 1 or logger.filters or logger.disabled:
            return None
        handler = handlers[0]
        if type(handler) is not _StdoutHandler or handler.filters:
            return None
        if not logger.isEnabledFor(logging.INFO) or handler.level > logging.INFO:
            return None
        return handler

    def __call__(self, message: str, loop: Any = None) -> None:
        handler = self._default_handler()
        if handler is None:
            self._logger.info(message)
            return
        now = time.time()
        second = int(now)
        if second != self._second:
            self._second = second
            self._stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(second))
        millis = int((now - second) * 1000)
        line = f"{self._stamp},{millis:03d} I [{self._pid}] {self._logger.name} - {message}\n"
        handler.add_line(line)
        if loop is None:
            handler.flush()
        elif not self._flush_pending:
            self._flush_pending = True
            loop.call_later(self.FLUSH_DELAY_S, self._flush, handler)

    def _flush(self, handler: _StdoutHandler) -> None:
        self._flush_pending = False
        handler.flush()
