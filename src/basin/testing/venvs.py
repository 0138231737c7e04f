"""Venvs of their own for real third-party components (the bench and the parity tests).

``ensure_venv(venv, pins)`` builds a venv once with uv and returns its python. A marker file in
the venv holds the pins it was built with, so a changed pin list rebuilds it; an ``fcntl`` lock
next to the venv keeps two processes (pytest-xdist workers, a test run and the bench) from
building it at the same time.
"""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

__all__ = ["MARKER", "PYTHON", "ensure_venv", "uv_executable"]

MARKER = ".installed"
PYTHON = "3.11"


def uv_executable() -> str:
    return shutil.which("uv") or str(Path(sys.executable).parent / "uv")


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _is_built(venv: Path, wanted: str) -> bool:
    marker = venv / MARKER
    return marker.is_file() and marker.read_text() == wanted


def ensure_venv(venv: Path, pins: Sequence[str], interpreter: str = PYTHON) -> Path:
    """A venv at ``venv`` with exactly ``pins`` installed on ``interpreter`` (a version such as
    3.11, or an interpreter's path); returns its python. Built on the first call (PyPI),
    reused after while the pins and the interpreter are the same."""
    wanted = "\n".join(pins)
    if interpreter != PYTHON:
        wanted = "\n".join([f"# python {interpreter}", *pins])
    python = venv / "bin" / "python"
    if _is_built(venv, wanted):
        return python
    with _locked(venv.parent / f"{venv.name}.lock"):
        if _is_built(venv, wanted):  # another process built it while this one waited
            return python
        if venv.exists():
            shutil.rmtree(venv)  # missing marker (a broken build) or other pins: start afresh
        uv = uv_executable()
        print(f"creating {venv} ({', '.join(pins)})", file=sys.stderr, flush=True)
        subprocess.run([uv, "venv", "--quiet", "--python", interpreter, str(venv)], check=True)
        # Bytecode once, here: processes that inherit PYTHONDONTWRITEBYTECODE never write it.
        install = [uv, "pip", "install", "--quiet", "--compile-bytecode"]
        subprocess.run([*install, "--python", str(python), *pins], check=True)
        (venv / MARKER).write_text(wanted)
    return python
