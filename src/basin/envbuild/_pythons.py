"""Which Python interpreters this machine has (asked of uv; nothing is ever downloaded)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from basin.errors import BuildFailedError, ValidationError

__all__ = ["PythonInstall", "find_pythons", "select_python"]


@dataclass(frozen=True, order=True)
class PythonInstall:
    version: tuple[int, int, int]
    path: str

    @property
    def version_text(self) -> str:
        return ".".join(map(str, self.version))


def find_pythons(uv: Path, env: Mapping[str, str]) -> list[PythonInstall]:
    """Installed CPython interpreters, newest first, one per version.

    ``env`` must carry ``UV_PYTHON_DOWNLOADS=never``; ``--only-installed`` also keeps uv from
    listing downloads.
    """
    argv = [str(uv), "python", "list", "--only-installed", "--output-format", "json"]
    done = subprocess.run(argv, env=dict(env), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BuildFailedError(f"uv could not list the installed Pythons: {done.stderr.strip()}")
    try:
        entries = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise BuildFailedError("uv python list printed something that is not JSON") from None
    found: dict[tuple[int, int, int], PythonInstall] = {}
    for entry in entries:
        if entry.get("implementation") != "cpython" or not entry.get("path"):
            continue
        parts = entry.get("version_parts") or {}
        version = (
            int(parts.get("major", 0)),
            int(parts.get("minor", 0)),
            int(parts.get("patch", 0)),
        )
        # uv lists the preferred interpreter of a version first; keep that one.
        found.setdefault(version, PythonInstall(version, str(entry["path"])))
    return sorted(found.values(), reverse=True)


def _matches(requested: tuple[int, ...], install: PythonInstall) -> bool:
    return install.version[: len(requested)] == requested


def select_python(
    requested: str, available: Sequence[PythonInstall], *, allow_nearest: bool
) -> tuple[PythonInstall, str | None]:
    """The interpreter for ``requested`` ('3.11' or '3.11.7'), and a warning if it is a stand-in.

    Without ``allow_nearest`` a version that is not installed is refused, naming what is.
    """
    wanted = tuple(int(part) for part in requested.split("."))
    matching = [install for install in available if _matches(wanted, install)]
    if matching:
        return max(matching), None
    names = ", ".join(install.version_text for install in available) or "none"
    if not allow_nearest or not available:
        raise ValidationError(
            f"Python {requested} is not installed on this machine (installed: {names}). "
            "Pin an installed version (e.g. python=3.11 in the conda file), install the "
            "version on the server, or allow the nearest version (allow_nearest_python)."
        )

    def distance(install: PythonInstall) -> tuple[int, int, tuple[int, int, int]]:
        major_gap = abs(install.version[0] - wanted[0])
        minor_gap = abs(install.version[1] - (wanted[1] if len(wanted) > 1 else 0))
        # Same distance: prefer the newer interpreter (negated for min()).
        major, minor, patch = install.version
        return major_gap, minor_gap, (-major, -minor, -patch)

    nearest = min(available, key=distance)
    warning = (
        f"Python {requested} is not installed on this machine; built with Python "
        f"{nearest.version_text} (nearest installed) because allow_nearest_python was set"
    )
    return nearest, warning
