"""The monitoring sink: one JSON line per scoring request, in the workspace's monitoring folder.

Records come from the gateway's event loop; a writer thread appends them, so scoring never waits
on the disk. The folder is named after the workspace's monitoring resource (Application Insights
in Azure): ``<home>/monitoring/<component>/requests.jsonl``. Beside it, ``replicas.jsonl`` gets a
line whenever a deployment's count of ready replicas changes (what the metrics API charts).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import queue
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from basin.compute import DeploymentStatus
from basin.entities import ManagedOnlineEndpoint, Workspace
from basin.ids import ResourceId
from basin.services.metrics import replica_line, replicas_path
from basin.services.platform import Platform

__all__ = ["RequestLog", "requests_path"]

logger = logging.getLogger("basin.monitoring")

_ENDPOINT = re.compile(r'"endpoint": ?"([^"]+)"')


def requests_path(platform: Platform, workspace: Workspace) -> Path:
    component = ResourceId.parse(workspace.application_insights or "/subscriptions/x").name
    return platform.state_dir / "monitoring" / component / "requests.jsonl"


@dataclass(frozen=True)
class _ReplicaSample:
    endpoint: str
    line: str


class RequestLog:
    """A sink for the gateway (``write(record)``), writing in the background."""

    def __init__(self, platform: Platform) -> None:
        self._platform = platform
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._paths: dict[str, Path | None] = {}
        self._ready: dict[str, tuple[int, int]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="request-log", daemon=True)
        self._thread.start()

    def write(self, record: Any) -> None:
        self._queue.put(record)

    def sample_replicas(self, key: str, status: DeploymentStatus | None) -> None:
        """A compute back end's listener: note a deployment's ready replicas when they change."""
        endpoint_id, sep, deployment = key.partition("/deployments/")
        if not sep:
            return
        counts = (len(status.ready_endpoints), status.instance_count) if status else (0, 0)
        if self._ready.get(key) == counts:
            return
        self._ready[key] = counts
        endpoint = endpoint_id.rstrip("/").rsplit("/", 1)[-1]
        line = replica_line(time.time(), endpoint, deployment, *counts)
        self._queue.put(_ReplicaSample(endpoint, line))

    def forget(self, _endpoint_id: str) -> None:
        """Endpoints changed: look their workspaces up again."""
        self._paths.clear()

    def close(self) -> None:
        self._stop.set()
        self._queue.put(None)
        self._thread.join(timeout=5)

    def follow(self, path: Path) -> None:
        """Forward the JSON lines a gateway process appends to ``path`` (read as they come)."""
        threading.Thread(target=self._follow, args=(path,), name="gateway-log", daemon=True).start()

    def _follow(self, path: Path) -> None:
        # Lines are passed on as they are (no JSON decode and encode): this runs once per
        # scoring request, on the server's CPU.
        path.touch()
        files: dict[Path, Any] = {}
        try:
            with path.open(encoding="utf-8") as handle:
                handle.seek(0, 2)  # records of a past life were forwarded then
                while not self._stop.is_set():
                    lines = handle.readlines(1 << 20)
                    if not lines:
                        self._stop.wait(0.2)
                        continue
                    for line in lines:
                        match = _ENDPOINT.search(line)
                        target = self._path(match[1]) if match else None
                        if target is None or not line.endswith("\n"):
                            continue
                        if target not in files:
                            target.parent.mkdir(parents=True, exist_ok=True)
                            files[target] = target.open("a", encoding="utf-8")
                        files[target].write(line)
                    # a batch at a time: under steady traffic the reader never idles, and records
                    # held in a buffer would be missing from the live charts
                    for out in files.values():
                        out.flush()
        finally:
            for out in files.values():
                out.close()

    def _path(self, endpoint_name: str) -> Path | None:
        if endpoint_name not in self._paths:
            path = None
            for row in self._platform.store.list(
                type=ManagedOnlineEndpoint.resource_type, name=endpoint_name
            ):
                stored = self._platform.store.get(row.id.split("/onlineEndpoints/")[0])
                if stored is not None:
                    path = requests_path(self._platform, Workspace.model_validate(stored.body))
            self._paths[endpoint_name] = path
        return self._paths[endpoint_name]

    def _run(self) -> None:
        while (record := self._queue.get()) is not None:
            try:
                if isinstance(record, _ReplicaSample):
                    self._append(self._path(record.endpoint), record.line, replicas=True)
                    continue
                is_record = dataclasses.is_dataclass(record) and not isinstance(record, type)
                data = dataclasses.asdict(record) if is_record else dict(record)
                path = self._path(str(data.get("endpoint", "")))
                self._append(path, json.dumps(data, default=str))
            except Exception:  # the log must never stop the gateway
                logger.exception("Could not write a request record")

    @staticmethod
    def _append(path: Path | None, line: str, *, replicas: bool = False) -> None:
        if path is None:
            return
        if replicas:
            path = replicas_path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
