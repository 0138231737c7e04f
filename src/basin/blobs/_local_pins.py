"""Data files that open readers still need: unlinked only when the last reader closes."""

from __future__ import annotations

import contextlib
import os
import threading
from collections import Counter
from pathlib import Path

from basin.blobs._local_files import data_path


class FilePins:
    def __init__(self, data_dir: Path) -> None:
        self._data_dir = data_dir
        self._pins: Counter[str] = Counter()
        self._doomed: set[str] = set()
        self.lock = threading.Lock()
        """Held while a reader looks up a blob and pins its files, and while files are
        released, so a concurrent change cannot unlink files a reader is about to open."""

    def _unlink(self, file_id: str) -> None:
        # On failure the file is an orphan, which collect_garbage sweeps later.
        with contextlib.suppress(OSError):
            data_path(self._data_dir, file_id).unlink(missing_ok=True)

    def pin_locked(self, file_ids: list[str]) -> None:
        """Pin files; the caller holds ``lock``."""
        self._pins.update(file_ids)

    def unpin(self, file_ids: list[str]) -> None:
        with self.lock:
            for file_id in file_ids:
                self._pins[file_id] -= 1
                if not self._pins[file_id]:
                    del self._pins[file_id]
                    if file_id in self._doomed:
                        self._doomed.discard(file_id)
                        self._unlink(file_id)

    def release(self, file_ids: set[str]) -> None:
        """Unlink files that committed changes no longer reference (or doom them if pinned)."""
        with self.lock:
            for file_id in file_ids:
                if self._pins[file_id]:
                    self._doomed.add(file_id)
                else:
                    self._unlink(file_id)

    def sweep_orphans(self, referenced: set[str], cutoff: float) -> int:
        """Unlink unreferenced, unpinned data files last modified before ``cutoff``."""
        removed = 0
        for folder in self._data_dir.iterdir():
            for entry in os.scandir(folder):
                if entry.name in referenced or entry.stat().st_mtime >= cutoff:
                    continue
                with self.lock:
                    if self._pins[entry.name]:
                        continue
                    Path(entry.path).unlink(missing_ok=True)
                removed += 1
        return removed
