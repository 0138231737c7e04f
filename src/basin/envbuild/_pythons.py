"""Which Python interpreters this machine has, which one a build uses, and installing one.

Interpreters are found by uv (``uv python list --only-installed``) on a search path basin makes:
the server's PATH without pyenv's shims (a shim answers only for pyenv's selected versions and
fails loudly for the others), every pyenv version's ``bin`` folder, and uv's managed installs
(uv's default folder and the one basin installs into). Nothing is downloaded unless the operator
allows it (:class:`PythonDownloads`); then ``uv python install`` fetches the missing version,
from ``mirror`` where one is set (uv's ``UV_PYTHON_INSTALL_MIRROR``, for an air-gapped site).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from basin.errors import BuildFailedError, ValidationError

__all__ = [
    "PythonDownloads",
    "PythonInstall",
    "find_pythons",
    "interpreter_search_path",
    "missing_python_message",
    "parse_python_version",
    "select_python",
]


@dataclass(frozen=True, order=True)
class PythonInstall:
    version: tuple[int, int, int]
    path: str

    @property
    def version_text(self) -> str:
        return ".".join(map(str, self.version))

    @property
    def minor_text(self) -> str:
        return f"{self.version[0]}.{self.version[1]}"


@dataclass(frozen=True)
class PythonDownloads:
    """Whether a build may install a missing interpreter with ``uv python install``.

    ``install_dir`` is where uv puts it (found by later builds); ``mirror`` replaces the public
    python-build-standalone download URL (``UV_PYTHON_INSTALL_MIRROR``); ``downloads_json_url``
    names a JSON list of downloads of the site's own (uv's ``UV_PYTHON_DOWNLOADS_JSON_URL``).
    """

    install_dir: Path
    allowed: bool = False
    mirror: str | None = None
    downloads_json_url: str | None = None

    def environment(self) -> dict[str, str]:
        """What ``uv python install`` gets on top of a build's environment."""
        env = {"UV_PYTHON_INSTALL_DIR": str(self.install_dir), "UV_PYTHON_DOWNLOADS": "manual"}
        if self.mirror:
            env["UV_PYTHON_INSTALL_MIRROR"] = self.mirror
        if self.downloads_json_url:
            env["UV_PYTHON_DOWNLOADS_JSON_URL"] = self.downloads_json_url
        return env


def _pyenv_root(env: Mapping[str, str]) -> Path:
    return Path(env.get("PYENV_ROOT") or Path(env.get("HOME", "~")).expanduser() / ".pyenv")


def _uv_default_dir(env: Mapping[str, str]) -> Path:
    data = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".local/share")
    return Path(data) / "uv" / "python"


def _bin_dirs(root: Path) -> list[str]:
    try:
        children = sorted(root.iterdir(), reverse=True)
    except OSError:
        return []
    return [str(child / "bin") for child in children if (child / "bin").is_dir()]


def interpreter_search_path(env: Mapping[str, str], extra_roots: Sequence[Path] = ()) -> str:
    """The PATH uv searches: PATH (no pyenv shims), pyenv's versions, uv's managed installs."""
    shims = str(_pyenv_root(env) / "shims")
    folders = [f for f in env.get("PATH", "").split(os.pathsep) if f and f.rstrip("/") != shims]
    for root in (_pyenv_root(env) / "versions", _uv_default_dir(env), *extra_roots):
        folders += [f for f in _bin_dirs(root) if f not in folders]
    return os.pathsep.join(folders)


def find_pythons(
    uv: Path, env: Mapping[str, str], extra_roots: Sequence[Path] = ()
) -> list[PythonInstall]:
    """Installed CPython interpreters, newest first, one per version.

    ``env`` must carry ``UV_PYTHON_DOWNLOADS=never``; ``--only-installed`` also keeps uv from
    listing downloads. ``extra_roots`` are more folders of installs (``<root>/<name>/bin``).
    """
    argv = [str(uv), "python", "list", "--only-installed", "--output-format", "json"]
    child = dict(env)
    child["PATH"] = interpreter_search_path(env, extra_roots)
    done = subprocess.run(argv, env=child, capture_output=True, text=True, check=False)
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
        if entry.get("variant") not in (None, "default"):  # free-threaded or debug builds
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


def parse_python_version(requested: str) -> tuple[int, ...]:
    """'3.11' -> (3, 11); '3.8.5' -> (3, 8, 5)."""
    return tuple(int(part) for part in requested.split("."))


def missing_python_message(
    requested: str, available: Sequence[PythonInstall], *, downloads_allowed: bool = False
) -> str:
    """One message: what is missing, what was found where, and every way to add it."""
    names = ", ".join(install.version_text for install in available) or "none"
    minor = ".".join(requested.split(".")[:2])
    download = (
        "basin may install it with uv (BASIN_PYTHON_DOWNLOADS=true) but the install failed; "
        "check BASIN_PYTHON_INSTALL_MIRROR"
        if downloads_allowed
        else "let basin install missing versions with uv (BASIN_PYTHON_DOWNLOADS=true, with "
        "BASIN_PYTHON_INSTALL_MIRROR=<url> for an internal mirror of python-build-standalone)"
    )
    return (
        f"Python {requested} is not available on this server (found: {names}; searched PATH, "
        f"pyenv's versions and uv's managed installs). To add it: install it on the server "
        f"(e.g. 'pyenv install {minor}' or 'uv python install {minor}'), or {download}. "
        f"Otherwise pin an available version (e.g. python={available[0].minor_text if available else '3.11'} "
        "in the conda file) or set allow_nearest_python: true on the environment to build on "
        "the nearest available version."
    )


def select_python(
    requested: str,
    available: Sequence[PythonInstall],
    *,
    allow_nearest: bool,
    downloads_allowed: bool = False,
) -> tuple[PythonInstall | None, str | None]:
    """The interpreter for ``requested`` ('3.11' or '3.11.7'), and a note if it is a stand-in.

    The newest interpreter of the requested X.Y serves a request for X.Y; an X.Y.Z that is not
    installed is served by the newest X.Y with a note (patch releases keep compatibility, and
    conda files often pin the patch they happened to have). A missing X.Y gives ``None`` when
    ``downloads_allowed`` (the build installs it), the nearest version with ``allow_nearest``,
    and otherwise raises ValidationError naming what is installed and how to add it.
    """
    wanted = parse_python_version(requested)
    exact = [install for install in available if install.version[: len(wanted)] == wanted]
    if exact:
        return max(exact), None
    same_minor = [install for install in available if install.version[:2] == wanted[:2]]
    if same_minor:
        chosen = max(same_minor)
        return chosen, (
            f"Python {requested} is not installed; built with Python {chosen.version_text} "
            f"(the same {chosen.minor_text} series: patch releases are compatible)"
        )
    if downloads_allowed:
        return None, None
    if not allow_nearest or not available:
        raise ValidationError(missing_python_message(requested, available))

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
