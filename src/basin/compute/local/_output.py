"""A replica's output: bytes from its pipe cut into lines, written to the log, the tail kept."""

from __future__ import annotations

import collections

from basin.compute._logs import DeploymentLog

__all__ = ["OutputLines"]

_MAX_LINE = 16384  # a longer line without a newline is written out in pieces


class OutputLines:
    """Lines of one replica (across its processes), written as ``<replica id> | <line>``."""

    def __init__(self, replica_id: str, log: DeploymentLog, keep: int = 50) -> None:
        self._source = replica_id
        self._log = log
        self._pending = b""
        self._tail: collections.deque[str] = collections.deque(maxlen=keep)

    def feed(self, data: bytes, final: bool = False) -> None:
        """Add output; ``final`` flushes an unfinished last line (the process has ended)."""
        *complete, rest = (self._pending + data).split(b"\n")
        if final and rest:
            complete.append(rest)
            rest = b""
        while len(rest) > _MAX_LINE:
            complete.append(rest[:_MAX_LINE])
            rest = rest[_MAX_LINE:]
        self._pending = rest
        if complete:
            self.add([line.decode("utf-8", "replace").rstrip("\r") for line in complete])

    def add(self, lines: list[str]) -> None:
        self._tail.extend(lines)
        self._log.write(self._source, lines)

    def tail(self, count: int) -> str:
        return "\n".join(list(self._tail)[-count:]) if count > 0 else ""
