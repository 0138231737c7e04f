"""What every deployment environment gets on top of the user's packages: the scoring runtime.

The runtime (``basin.runtime``, stdlib + uvicorn only) is copied, by content hash, into
``<home>/runtime/<hash>/basin/runtime`` next to an empty ``basin/__init__.py``, and a ``.pth``
file in each built environment puts that folder on ``sys.path``.

Its packages (uvicorn, httptools, uvloop) are chosen per Python. Every environment asks for
*ranges* (any release from the oldest the runtime is tested with: a user's own pin of uvicorn
wins unless it is older) and *prefers* exact versions: the server's own on the Pythons they
support, the newest releases that still support the others (3.8 and 3.9). Those come offline
from wheelhouses given as find-links:

- ``wheelhouse/<digest>/``: the server's installed copies repacked (its own Python; the pure
  wheels, uvicorn and h11, fit any Python they support);
- ``wheelhouse/py<X.Y>-<digest>/``: for another Python, filled after the first environment on it
  builds (from an index or a feed): the runtime's packages are repacked from that environment,
  so later builds on that Python need no index for them.

An air-gapped server that has no fast parts (httptools, uvloop) for a Python yet builds its
environments with uvicorn alone: uvicorn then runs on its pure-Python h11 parser and asyncio's
loop (slower, same behaviour).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import logging
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import basin.runtime
from basin.envbuild import (
    BuiltEnvironment,
    PthFile,
    canonical_name,
    dependency_closure,
    parse_python_version,
    repack_installed,
)
from basin.errors import ValidationError
from basin.services._folders import Abandon, build_folder

__all__ = [
    "OLDEST_PYTHON",
    "RUNTIME_FLOORS",
    "RUNTIME_PACKAGES",
    "RuntimePackages",
    "check_python",
    "harvest",
    "preferred_versions",
    "runtime_packages",
    "runtime_pth",
]

logger = logging.getLogger("basin.runtime_payload")

#: Installed into every environment.
RUNTIME_PACKAGES = ("uvicorn", "httptools", "uvloop")
#: The oldest releases the runtime is tested with (on Python 3.8): any newer one will do.
RUNTIME_FLOORS: Mapping[str, str] = {"uvicorn": "0.33", "httptools": "0.6.4", "uvloop": "0.21"}
#: For Pythons the server's own versions no longer support: the newest releases that still do
#: (uvicorn 0.34 dropped 3.8, 0.40 dropped 3.9; httptools 0.7 and uvloop 0.22 dropped 3.8).
OLDER_PYTHON_PINS: Mapping[tuple[int, int], Mapping[str, str]] = {
    (3, 8): {"uvicorn": "0.33.0", "httptools": "0.6.4", "uvloop": "0.21.0"},
    (3, 9): {"uvicorn": "0.39.0"},
}
#: The runtime runs on Python 3.8 and newer (as azmlinfsrv did when Azure ML pinned 3.8).
OLDEST_PYTHON = (3, 8)
_FAST_PARTS = ("httptools", "uvloop")


@dataclass(frozen=True)
class RuntimePackages:
    """What an environment on one Python gets for the runtime."""

    requirements: tuple[str, ...]  # ranges
    preferred: tuple[str, ...]  # exact versions, when they fit
    find_links: tuple[str, ...]  # wheelhouses
    notes: tuple[str, ...] = ()


def check_python(python: str, *, allow_nearest: bool) -> tuple[str, str | None]:
    """``python`` if the runtime runs on it; with ``allow_nearest`` the oldest it runs on (and a
    note); otherwise a ValidationError that says so."""
    if parse_python_version(python)[:2] >= OLDEST_PYTHON:
        return python, None
    oldest = ".".join(map(str, OLDEST_PYTHON))
    if allow_nearest:
        return oldest, (
            f"Python {python} is older than the scoring runtime supports; built with Python "
            f"{oldest} because allow_nearest_python was set"
        )
    raise ValidationError(
        f"Python {python} is too old for the scoring runtime, which runs on Python {oldest} and "
        f"newer (as Azure ML's inference server). Pin python={oldest} or newer in the conda "
        "file, or set allow_nearest_python: true to build on the nearest supported version."
    )


def _server_minor() -> tuple[int, int]:
    return sys.version_info[0], sys.version_info[1]


def preferred_versions(python: str) -> dict[str, str]:
    """The runtime packages' versions preferred on ``python`` (X.Y[.Z])."""
    version = parse_python_version(python)
    return _preferred_versions((version[0], version[1] if len(version) > 1 else 0))


def _preferred_versions(minor: tuple[int, int]) -> dict[str, str]:
    versions = {name: importlib.metadata.version(name) for name in RUNTIME_PACKAGES}
    versions.update(OLDER_PYTHON_PINS.get(minor, {}))
    return versions


def runtime_packages(home: Path, python: str, *, air_gapped: bool) -> RuntimePackages:
    """The runtime's requirements, preferred versions and wheelhouses for ``python`` (X.Y…)."""
    version = parse_python_version(python)
    minor = (version[0], version[1] if len(version) > 1 else 0)
    preferred = _preferred_versions(minor)
    find_links: list[str] = []
    server = server_wheelhouse(home)
    if server is not None:
        find_links.append(str(server))
    names: tuple[str, ...] = RUNTIME_PACKAGES
    notes: list[str] = []
    if minor != _server_minor():
        harvested = python_wheelhouse(home, minor, preferred)
        find_links.append(str(harvested))
        if air_gapped and not all(any(harvested.glob(f"{n}-*.whl")) for n in _FAST_PARTS):
            names = ("uvicorn",)
            notes.append(
                f"this air-gapped server has no httptools/uvloop wheels for Python "
                f"{minor[0]}.{minor[1]} yet: the scoring runtime serves with uvicorn's "
                "pure-Python parts (slower, same behaviour)"
            )
    return RuntimePackages(
        requirements=tuple(f"{name}>={RUNTIME_FLOORS[name]}" for name in names),
        preferred=tuple(f"{name}=={preferred[name]}" for name in names),
        find_links=tuple(find_links),
        notes=tuple(notes),
    )


def server_wheelhouse(home: Path) -> Path | None:
    """A folder of wheels of the runtime packages (and what they need) as installed here.

    An environment on this server's Python gets uvicorn and its fast parts without any index:
    an air-gapped server, or a private feed that mirrors only the team's own packages, still
    builds deployment environments. None when one of them was not installed from a wheel (then
    the indexes must serve them).
    """
    dists, digest = _installed_runtime_packages()

    def fill(staging: Path) -> None:
        for dist in dists:
            if repack_installed(dist, staging) is None:
                raise Abandon()

    return build_folder(home / "wheelhouse" / digest, fill)


def python_wheelhouse(home: Path, minor: tuple[int, int], preferred: Mapping[str, str]) -> Path:
    """The (possibly still empty) wheelhouse of the runtime's packages for another Python."""
    pins = "\n".join(f"{name}=={preferred[name]}" for name in sorted(preferred))
    digest = hashlib.sha256(pins.encode()).hexdigest()[:16]
    folder = home / "wheelhouse" / f"py{minor[0]}.{minor[1]}-{digest}"
    folder.mkdir(parents=True, exist_ok=True)  # uv wants find-links folders to exist
    return folder


def harvest(home: Path, built: BuiltEnvironment) -> list[Path]:
    """After a build on another Python than the server's: keep the runtime's packages it
    installed, at the preferred versions, as wheels for the next builds on that Python."""
    version = parse_python_version(built.python_version)
    minor = (version[0], version[1])
    if minor == _server_minor():
        return []
    preferred = _preferred_versions(minor)
    folder = python_wheelhouse(home, minor, preferred)
    made: list[Path] = []
    for dist in dependency_closure(RUNTIME_PACKAGES, built.site_packages):
        name = canonical_name(dist.metadata["Name"] or "")
        if name in preferred and dist.version != preferred[name]:
            continue  # the user's own version: not what the next build prefers
        if any(folder.glob(f"{name.replace('-', '_')}-{dist.version}-*.whl")):
            continue
        wheel = repack_installed(dist, folder)
        if wheel is not None:
            made.append(wheel)
    if made:
        logger.info("Kept %d runtime wheels for Python %s.%s", len(made), *minor)
    return made


@functools.cache
def _installed_runtime_packages() -> tuple[list[importlib.metadata.Distribution], str]:
    """The runtime packages' installed distributions and a digest naming them; computed once
    (what is installed does not change while the server runs; spec_for asks on every build)."""
    dists = dependency_closure(RUNTIME_PACKAGES)
    tag = sys.implementation.cache_tag  # e.g. cpython-311: the wheels fit this interpreter
    names = "\n".join(f"{d.metadata['Name']}=={d.version}" for d in dists)
    return dists, hashlib.sha256(f"{tag}\n{names}".encode()).hexdigest()[:16]


def _source() -> Path:
    return Path(basin.runtime.__file__).parent


def _digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.py")):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def runtime_pth(home: Path) -> PthFile:
    """Copy the runtime under ``home`` (once per content) and return the .pth that finds it."""
    source = _source()

    def fill(staging: Path) -> None:
        package = staging / "basin"
        shutil.copytree(
            source,
            package / "runtime",
            ignore=shutil.ignore_patterns("__pycache__", "ruff.toml"),
        )
        (package / "__init__.py").write_text('"""basin (the scoring runtime only)."""\n')

    target = build_folder(home / "runtime" / _digest(source), fill)
    assert target is not None
    return PthFile("basin_runtime.pth", (str(target),))
