"""What a server may leave behind, as a test sees it: processes, half-made files, orphaned blobs.

``processes_mentioning(text)`` finds every process whose argv or environment holds ``text`` (a
server's home names all of its processes: the server, its gateway and its replicas);
``leftovers(home)`` lists staging folders, temporary files and blob data that nothing refers to.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ProcessView", "descendants", "leftovers", "processes_mentioning", "read_process"]

#: Names that only exist while something is being made: ``build_folder``'s hidden staging
#: folders (``.<name>-<random>``), the builder's ``.build-<key>-<n>`` venvs and ``work/``
#: folders, ``*.tmp`` files of atomic writes, the ``.part-``/``.wheel-`` files of downloads.
_STAGING = re.compile(r"^\.(build-[0-9a-f]{32}-[0-9a-f]+|.+-[a-z0-9_]{8}|part-.*|wheel-.*)$")


@dataclass(frozen=True)
class ProcessView:
    pid: int
    ppid: int
    argv: list[str]
    environ: dict[str, str]


def read_process(pid: int) -> ProcessView | None:
    """A process's argv, environment and parent, or None if it is gone or not readable."""
    base = Path(f"/proc/{pid}")
    try:
        argv = [a.decode(errors="replace") for a in (base / "cmdline").read_bytes().split(b"\0")]
        raw_env = (base / "environ").read_bytes()
        stat = (base / "stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] in ("Z", "X"):
        return None  # ended, not yet reaped
    environ = {}
    for item in raw_env.split(b"\0"):
        key, sep, value = item.decode(errors="replace").partition("=")
        if sep:
            environ[key] = value
    return ProcessView(pid, int(fields[1]), [a for a in argv if a], environ)


def processes_mentioning(text: str) -> list[ProcessView]:
    """Live processes (but this one) whose argv or environment contains ``text``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        view = read_process(int(entry))
        if view is None:
            continue
        if any(text in a for a in view.argv) or any(
            text in k or text in v for k, v in view.environ.items()
        ):
            found.append(view)
    return found


def descendants(root: int) -> set[int]:
    """``root`` and every live process below it."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            view = read_process(int(entry))
            if view is not None:
                children.setdefault(view.ppid, []).append(view.pid)
    found, todo = set(), [root]
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo.extend(children.get(pid, ()))
    return found


def _orphaned_blob_data(blobs: Path) -> list[Path]:
    """Data files of a ``LocalBlobStore`` that neither a blob nor a staged block refers to."""
    index = blobs / "index.sqlite3"
    if not index.exists():
        return []
    with sqlite3.connect(f"file:{index}?mode=ro", uri=True) as db:
        referenced = {f for (f,) in db.execute("SELECT file_id FROM blocks")}
        for (extents,) in db.execute("SELECT extents FROM blobs WHERE extents != '[]'"):
            # [[block id, file id, size], ...] (blobs/_local_index.py)
            referenced |= {extent[1] for extent in json.loads(extents)}
    data = blobs / "data"
    files = [p for p in data.glob("*/*")] if data.is_dir() else []
    return [p for p in files if p.name not in referenced]


def _partial_uploads(blobs: Path) -> list[Path]:
    """Datastore uploads (``LocalUpload/<hash>/...``) whose completion marker was never written."""
    index = blobs / "index.sqlite3"
    if not index.exists():
        return []
    with sqlite3.connect(f"file:{index}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT account, container, name FROM blobs WHERE name LIKE 'LocalUpload/%'"
        ).fetchall()
    names = {(a, c, n) for a, c, n in rows}
    partial = set()
    for account, container, name in names:
        head, _, rest = name[len("LocalUpload/") :].partition("/")
        marker = (account, container, f"LocalUpload/{head}.complete")
        if rest and marker not in names:
            partial.add(Path(account, container, f"LocalUpload/{head}/"))
    return sorted(partial)


def leftovers(home: Path) -> list[Path]:
    """Half-made things under a server's home: staging folders, temporary files, build work
    folders, blob data files nothing refers to, and datastore uploads never completed."""
    found = []
    for folder, dirs, files in os.walk(home):
        here = Path(folder)
        if here.name == "uv-cache" or "site-packages" in here.parts:
            dirs[:] = []  # uv's own cache and installed packages are not ours to judge
            continue
        for name in dirs + files:
            if _STAGING.match(name) or name.endswith(".tmp"):
                found.append(here / name)
        if here.name == "work" and here.parent.name != "serving":
            found.extend(here / d for d in dirs)  # the builder's per-build input folders
    found.extend(_orphaned_blob_data(home / "blobs"))
    found.extend(home / "blobs" / p for p in _partial_uploads(home / "blobs"))
    return sorted(found)
