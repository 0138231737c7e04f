"""Content-named folders made all at once: filled beside their place, then renamed into it."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["STAGING_PREFIX", "Abandon", "build_folder", "is_staging"]

#: Staging folders start with this, so the next start can find what a killed server left.
STAGING_PREFIX = ".staging-"


class Abandon(Exception):
    """Raised by a ``fill`` that cannot make the folder: nothing is left behind."""


def build_folder(target: Path, fill: Callable[[Path], None]) -> Path | None:
    """``target``, made by ``fill(staging)`` unless it exists; None if ``fill`` raised ``Abandon``.

    Readers see the whole folder or none: a crash leaves only a hidden staging folder (which
    ``services/housekeeping`` removes at the next start). The name
    stands for the content, so when another process renames its copy into place first, that copy
    is kept and this one dropped.
    """
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{target.name}-", dir=target.parent))
    try:
        fill(staging)
        staging.rename(target)
    except Abandon:
        return None
    except OSError:
        if not target.is_dir():
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def is_staging(path: Path) -> bool:
    """Whether ``path`` is a staging folder of ``build_folder``."""
    return path.name.startswith(STAGING_PREFIX)
