"""What every deployment environment gets on top of the user's packages: the scoring runtime.

The runtime (``basin.runtime``, stdlib + uvicorn only) is copied, by content hash, into
``<home>/runtime/<hash>/basin/runtime`` next to an empty ``basin/__init__.py``, and a ``.pth``
file in each built environment puts that folder on ``sys.path``. uvicorn and its fast parts are
pinned to the versions basin itself runs with.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import shutil
import tempfile
from pathlib import Path

import basin.runtime
from basin.envbuild import PthFile

__all__ = ["RUNTIME_PACKAGES", "platform_requirements", "runtime_pth"]

#: Installed into every environment, pinned to basin's own versions.
RUNTIME_PACKAGES = ("uvicorn", "httptools", "uvloop")


def platform_requirements() -> tuple[str, ...]:
    return tuple(f"{name}=={importlib.metadata.version(name)}" for name in RUNTIME_PACKAGES)


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
    target = home / "runtime" / _digest(source)
    if not (target / "basin" / "runtime" / "__init__.py").exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".runtime-", dir=target.parent))
        package = staging / "basin"
        shutil.copytree(source, package / "runtime", ignore=shutil.ignore_patterns("__pycache__"))
        (package / "__init__.py").write_text('"""basin (the scoring runtime only)."""\n')
        try:
            os.rename(staging, target)
        except OSError:  # another process put it there first: the same content
            shutil.rmtree(staging, ignore_errors=True)
    return PthFile("basin_runtime.pth", (str(target),))
