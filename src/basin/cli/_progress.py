"""Progress of long operations on stderr (rich), shown only to a person at a terminal.

When stderr is not a terminal (a pipe, a file, CI) or with ``--only-show-errors``, nothing is
printed and rich is not even imported: scripts see only the result on stdout.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any, Protocol

from basin.cli import _context

__all__ = ["Status", "enabled", "status"]


class Status(Protocol):
    def update(self, message: str) -> None: ...


class _Silent:
    def update(self, message: str) -> None:
        pass


def enabled() -> bool:
    """A person is watching: stderr is a terminal, and quiet was not asked for."""
    if _context.quiet() or os.environ.get("BASIN_NO_PROGRESS"):
        return False
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty())


class _Rich:
    def __init__(self, handle: Any) -> None:
        self._handle = handle

    def update(self, message: str) -> None:
        self._handle.update(message)


@contextlib.contextmanager
def status(message: str) -> Iterator[Status]:
    """A spinner with ``message`` (updated through the yielded object) while the block runs."""
    if not enabled():
        yield _Silent()
        return
    from rich.console import Console

    console = Console(stderr=True)
    with console.status(message) as handle:
        yield _Rich(handle)
