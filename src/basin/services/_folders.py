"""Content-named folders made all at once: filled beside their place, then renamed into it."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["Abandon", "build_folder"]


class Abandon(Exception):
    """Raised by a ``fill`` that cannot make the folder: nothing is left behind."""


def build_folder(target: Path, fill: Callable[[Path], None]) -> Path | None:
    """``target``, made by ``fill(staging)`` unless it exists; None if ``fill`` raised ``Abandon``.

    Readers see the whole folder or none: a crash leaves only a hidden staging folder. The name
    stands for the content, so when another process renames its copy into place first, that copy
    is kept and this one dropped.
    """
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
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
