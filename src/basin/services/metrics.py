"""Metrics of online endpoints: aggregates over the workspace's monitoring sink.

The sink holds one JSON line per scoring request (``requests.jsonl``, from the gateway) and one
per change of a deployment's ready replicas (``replicas.jsonl``). ``SinkMetrics`` folds request
lines into 10-second cells as they are appended (each call reads only the new bytes), keeps 24 h
of cells, and answers a window as evenly spaced points: requests per second, latency
percentiles, status codes and ready replicas. Percentiles come from log-spaced latency bins
(each 5% wide), so they are within 2.5% of the exact value.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from basin.errors import ValidationError

__all__ = [
    "BASE_S",
    "WINDOWS",
    "SinkMetrics",
    "parse_window",
    "replica_line",
    "replicas_path",
]

#: window -> (seconds, seconds per point): 90, 120 and 144 points.
WINDOWS: dict[str, tuple[int, int]] = {"15m": (900, 10), "1h": (3600, 30), "24h": (86400, 600)}
#: The finest cell; every window's step is a multiple of it.
BASE_S = 10
#: Cells older than this are dropped (the longest window, plus one cell being filled).
RETAIN_S = max(seconds for seconds, _ in WINDOWS.values()) + BASE_S
#: A request's record is written when it ends, stamped when it began: lines are in time order
#: only up to the longest request (the gateway caps request_timeout_ms at 180 s).
DISORDER_S = 200
_RATIO = math.log(1.05)
_MIN_MS = 0.001
_PERCENTILES = (("p50", 0.50), ("p95", 0.95), ("p99", 0.99))
_CHUNK = 4 << 20


def parse_window(value: str) -> tuple[int, int]:
    """``"15m"`` -> ``(900, 10)``; anything else is refused with the choices."""
    try:
        return WINDOWS[value.strip().lower()]
    except KeyError:
        raise ValidationError(
            f"The window must be one of {', '.join(WINDOWS)}; got '{value}'."
        ) from None


def replicas_path(requests_file: Path) -> Path:
    """The replica samples beside a sink's request records."""
    return requests_file.with_name("replicas.jsonl")


def _bin(ms: float) -> int:
    return max(0, int(math.log(max(ms, _MIN_MS) / _MIN_MS) / _RATIO))


def _bin_value(index: int) -> float:
    """The middle of a latency bin, in ms (geometric)."""
    return _MIN_MS * math.exp((index + 0.5) * _RATIO)


@dataclass
class _Cell:
    """Requests of one series in one 10-second cell."""

    count: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    latency: dict[int, int] = field(default_factory=dict)

    def add(self, status: int, duration_ms: float) -> None:
        self.count += 1
        self.statuses[status] = self.statuses.get(status, 0) + 1
        b = _bin(duration_ms)
        self.latency[b] = self.latency.get(b, 0) + 1

    def merge(self, other: _Cell) -> None:
        self.count += other.count
        for status, n in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + n
        for b, n in other.latency.items():
            self.latency[b] = self.latency.get(b, 0) + n

    def percentiles(self) -> dict[str, float | None]:
        if not self.count:
            return {name: None for name, _ in _PERCENTILES}
        ordered = sorted(self.latency.items())
        result: dict[str, float | None] = {}
        for name, q in _PERCENTILES:
            rank, seen = max(1, math.ceil(q * self.count)), 0
            for b, n in ordered:
                seen += n
                if seen >= rank:
                    result[name] = round(_bin_value(b), 3)
                    break
        return result


#: (endpoint, deployment or None, mirrored copy?)
_Series = tuple[str, str | None, bool]


class _RequestFile:
    """The cells of one ``requests.jsonl``, brought up to date on each read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.inode: int | None = None
        self.offset = 0
        self.cells: dict[int, dict[_Series, _Cell]] = {}

    def refresh(self, now: float) -> None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self.inode, self.offset, self.cells = None, 0, {}
            return
        if stat.st_ino != self.inode or stat.st_size < self.offset:
            # First read, or the file was replaced: start a day (and a margin) back.
            self.inode, self.cells = stat.st_ino, {}
            self.offset = _offset_at(self.path, now - RETAIN_S - DISORDER_S, stat.st_size)
        if stat.st_size > self.offset:
            self.offset = self._fold(stat.st_size, now - RETAIN_S)
        oldest = (now - RETAIN_S) // BASE_S * BASE_S
        for cell in [c for c in self.cells if c < oldest]:
            del self.cells[cell]

    def _fold(self, size: int, cutoff: float) -> int:
        offset = self.offset
        with self.path.open("rb") as handle:
            handle.seek(offset)
            while offset < size:
                block = handle.read(min(_CHUNK, size - offset))
                if not block:
                    break
                end = block.rfind(b"\n") + 1
                if end == 0:
                    if len(block) < _CHUNK:
                        break  # a line still being written: read it next time
                    end = len(block)  # a line longer than a chunk: skip it
                for line in block[:end].splitlines():
                    self._add(line, cutoff)
                offset += end
                handle.seek(offset)
        return offset

    def _add(self, line: bytes, cutoff: float) -> None:
        try:
            record = json.loads(line)
            started = float(record["time"])
            series = (str(record["endpoint"]), record.get("deployment"), bool(record.get("mirror")))
            status, duration = int(record["status"]), float(record["duration_ms"])
        except (ValueError, KeyError, TypeError):
            return  # not a request record: skip it, never fail the reader
        if started < cutoff:
            return
        cells = self.cells.setdefault(int(started // BASE_S * BASE_S), {})
        cell = cells.get(series)
        if cell is None:
            cell = cells[series] = _Cell()
        cell.add(status, duration)


def _line_time_after(handle: Any, offset: int) -> float | None:
    """The time of the first whole line at or after ``offset``."""
    handle.seek(offset)
    if offset:
        handle.readline()  # the rest of a line cut in two
    for line in iter(handle.readline, b""):
        try:
            return float(json.loads(line)["time"])
        except (ValueError, KeyError, TypeError):
            continue
    return None


def _offset_at(path: Path, since: float, size: int) -> int:
    """About where lines from ``since`` on begin (binary search on the lines' times)."""
    low, high = 0, size
    with path.open("rb") as handle:
        while high - low > _CHUNK:
            middle = (low + high) // 2
            found = _line_time_after(handle, middle)
            if found is None or found >= since:
                high = middle
            else:
                low = middle
        if low:
            handle.seek(low)
            handle.readline()
            low = handle.tell()
    return low


@dataclass(frozen=True)
class _Sample:
    time: float
    endpoint: str
    deployment: str
    ready: int


class _ReplicaFile:
    """Replica samples of one sink (small: a line per change), re-read when it changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen: tuple[int, int, int] | None = None
        self.samples: list[_Sample] = []

    def refresh(self) -> None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self.seen, self.samples = None, []
            return
        key = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        if key == self.seen:
            return
        samples = []
        with self.path.open("rb") as handle:
            for line in handle:
                try:
                    data = json.loads(line)
                    samples.append(
                        _Sample(
                            float(data["time"]),
                            str(data["endpoint"]),
                            str(data["deployment"]),
                            int(data["ready"]),
                        )
                    )
                except (ValueError, KeyError, TypeError):
                    continue
        samples.sort(key=lambda s: s.time)
        self.seen, self.samples = key, samples

    def ready_at(self, at: float, endpoint: str, deployment: str | None) -> int:
        latest: dict[str, int] = {}
        for sample in self.samples:
            if sample.time > at:
                break
            if sample.endpoint == endpoint and deployment in (None, sample.deployment):
                latest[sample.deployment] = sample.ready
        return sum(latest.values())


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def _status_classes(statuses: dict[int, int]) -> dict[str, int]:
    classes: dict[str, int] = {}
    for status, n in sorted(statuses.items()):
        name = f"{status // 100}xx"
        classes[name] = classes.get(name, 0) + n
    return classes


class SinkMetrics:
    """Answers metrics queries over monitoring sinks; one per server process, thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[Path, _RequestFile] = {}
        self._replicas: dict[Path, _ReplicaFile] = {}

    def query(
        self,
        requests_file: Path,
        endpoint: str,
        *,
        deployment: str | None = None,
        window: str = "15m",
        now: float | None = None,
    ) -> dict[str, Any]:
        """Points over ``window`` for an endpoint (client requests, mirrored copies left out)
        or one deployment (every request it served, mirrored copies included)."""
        window = window.strip().lower()
        parse_window(window)
        now = now if now is not None else datetime.now(UTC).timestamp()
        with self._lock:
            requests = self._requests.setdefault(requests_file, _RequestFile(requests_file))
            requests.refresh(now)
            replicas = self._replicas.setdefault(
                requests_file, _ReplicaFile(replicas_path(requests_file))
            )
            replicas.refresh()
            return self._answer(requests, replicas, endpoint, deployment, window, now)

    def _answer(
        self,
        requests: _RequestFile,
        replicas: _ReplicaFile,
        endpoint: str,
        deployment: str | None,
        window: str,
        now: float,
    ) -> dict[str, Any]:
        seconds, step = WINDOWS[window]
        first = int((now - seconds) // step * step) + step
        points, total = [], _Cell()
        for start in range(first, int(now) + 1, step):
            cell = _Cell()
            for cells in self._cells(requests, start, step):
                for (ep, dep, mirror), found in cells.items():
                    if ep == endpoint and (
                        (deployment is None and not mirror) or dep == deployment
                    ):
                        cell.merge(found)
            total.merge(cell)
            span = min(step, max(now - start, 1.0))
            points.append(
                {
                    "time": _iso(start),
                    "requests": cell.count,
                    "requests_per_second": round(cell.count / span, 3),
                    "latency_ms": cell.percentiles(),
                    "status_codes": _status_classes(cell.statuses),
                    "replicas": replicas.ready_at(min(start + step, now), endpoint, deployment),
                }
            )
        return {
            "endpoint": endpoint,
            "deployment": deployment,
            "window": window,
            "interval_seconds": step,
            "start": _iso(now - seconds),
            "end": _iso(now),
            "points": points,
            "total": {
                "requests": total.count,
                "requests_per_second": round(total.count / seconds, 3),
                "latency_ms": total.percentiles(),
                "status_codes": {str(k): v for k, v in sorted(total.statuses.items())},
                "replicas": replicas.ready_at(now, endpoint, deployment),
            },
        }

    @staticmethod
    def _cells(requests: _RequestFile, start: int, step: int) -> Iterator[dict[_Series, _Cell]]:
        for cell_start in range(start, start + step, BASE_S):
            found = requests.cells.get(cell_start)
            if found:
                yield found


def replica_line(time: float, endpoint: str, deployment: str, ready: int, desired: int) -> str:
    """One line of ``replicas.jsonl``."""
    return json.dumps(
        {
            "time": time,
            "endpoint": endpoint,
            "deployment": deployment,
            "ready": ready,
            "desired": desired,
        }
    )
