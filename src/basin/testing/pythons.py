"""The Python interpreters this machine has, as basin's own builds find them (for tests that
need a given version and skip, saying so, where it is truly absent)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from basin.envbuild import PythonInstall, find_pythons

__all__ = ["installed_pythons", "require_pythons"]


def installed_pythons() -> list[PythonInstall]:
    """Newest first, one per version: PATH, pyenv's versions, uv's managed installs."""
    uv = Path(sys.executable).parent / "uv"
    return find_pythons(uv, {**os.environ, "UV_PYTHON_DOWNLOADS": "never"})


def require_pythons(*minors: str) -> None:
    """Skip the calling test unless every ``X.Y`` in ``minors`` is installed here."""
    import pytest  # only tests call this

    found = {install.minor_text for install in installed_pythons()}
    missing = sorted(set(minors) - found, key=lambda v: tuple(map(int, v.split("."))))
    if missing:
        pytest.skip(
            f"Python {', '.join(missing)} is not installed on this machine (basin looks on PATH, "
            "in pyenv's versions and in uv's managed installs); install it to run this test"
        )
