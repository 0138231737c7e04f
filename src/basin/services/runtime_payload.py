"""What every deployment environment gets on top of the user's packages: the scoring runtime.

The runtime (``basin.runtime``, stdlib + uvicorn only) is copied, by content hash, into
``<home>/runtime/<hash>/basin/runtime`` next to an empty ``basin/__init__.py``, and a ``.pth``
file in each built environment puts that folder on ``sys.path``. uvicorn and its fast parts are
pinned to the versions basin itself runs with.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import shutil
import sys
from pathlib import Path

import basin.runtime
from basin.envbuild import PthFile, dependency_closure, repack_installed
from basin.services._folders import Abandon, build_folder

__all__ = ["RUNTIME_PACKAGES", "platform_requirements", "platform_wheelhouse", "runtime_pth"]

#: Installed into every environment, pinned to basin's own versions.
RUNTIME_PACKAGES = ("uvicorn", "httptools", "uvloop")


def platform_requirements() -> tuple[str, ...]:
    return tuple(f"{name}=={importlib.metadata.version(name)}" for name in RUNTIME_PACKAGES)


def platform_wheelhouse(home: Path) -> Path | None:
    """A folder of wheels of the runtime packages (and what they need) as installed here.

    Given to every build as find-links, so an environment on this server's Python gets uvicorn
    and its fast parts without any index: an air-gapped server, or a private feed that mirrors
    only the team's own packages, still builds deployment environments. None when one of them
    was not installed from a wheel (then the indexes must serve them, as before).
    """
    dists, digest = _installed_runtime_packages()

    def fill(staging: Path) -> None:
        for dist in dists:
            if repack_installed(dist, staging) is None:
                raise Abandon()

    return build_folder(home / "wheelhouse" / digest, fill)


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
        shutil.copytree(source, package / "runtime", ignore=shutil.ignore_patterns("__pycache__"))
        (package / "__init__.py").write_text('"""basin (the scoring runtime only)."""\n')

    target = build_folder(home / "runtime" / _digest(source), fill)
    assert target is not None
    return PthFile("basin_runtime.pth", (str(target),))
