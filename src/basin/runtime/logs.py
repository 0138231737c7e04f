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
    """The default handler of the ``azmlinfsrv`` logger (``RequestLog`` recognises it)."""


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
    timestamp text is cached per second) and written to the handler's stream, with one flush per
    event-loop iteration instead of one per line: a ``logging`` call costs several times more than
    the rest of a request. Any other set-up (``logging.json``, handlers added by the script) gets
    a plain ``logger.info``.
    """

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._logger = logger or logging.getLogger("azmlinfsrv")
        self._pid = os.getpid()
        self._second = -1
        self._stamp = ""
        self._flush_pending = False

    def _default_handler(self) -> logging.StreamHandler | None:  # type: ignore[type-arg]
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
        handler.acquire()
        try:
            handler.stream.write(line)
        finally:
            handler.release()
        if loop is None:
            handler.flush()
        elif not self._flush_pending:
            self._flush_pending = True
            loop.call_soon(self._flush, handler)

    def _flush(self, handler: logging.StreamHandler) -> None:  # type: ignore[type-arg]
        self._flush_pending = False
        handler.flush()
