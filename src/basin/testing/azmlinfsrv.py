"""The real Azure ML inference server (``azmlinfsrv``) in a venv of its own, for the bench and tests.

``ensure_azmlinfsrv(venv)`` builds the venv once (with uv) and returns the ``azmlinfsrv``
executable. A marker file in the venv holds the pins it was built with, so a changed pin list
rebuilds it; an ``fcntl`` lock next to the venv keeps two processes (pytest-xdist workers, a test
run and the bench) from building it at the same time.
"""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path

__all__ = ["AZMLINFSRV_VERSION", "ensure_azmlinfsrv", "pins_like_here"]

AZMLINFSRV_VERSION = "1.5.1"
MARKER = ".installed"
PYTHON = "3.11"


def pins_like_here(names: Sequence[str] = ("numpy", "scikit-learn", "joblib")) -> list[str]:
    """``name==<version in this venv>`` pins: by default what the serving bench's scikit-learn
    script needs, so that the bench and the parity tests share one venv."""
    return [f"{name}=={version(name)}" for name in names]


def _pins(extra: Sequence[str]) -> list[str]:
    return [f"azureml-inference-server-http=={AZMLINFSRV_VERSION}", *extra]


def _uv() -> str:
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


def ensure_azmlinfsrv(venv: Path, extra: Sequence[str] = ()) -> Path:
    """A venv at ``venv`` with ``azureml-inference-server-http`` and ``extra`` pins; returns the
    path of its ``azmlinfsrv`` executable. Built on the first call (PyPI), reused after."""
    wanted = "\n".join(_pins(extra))
    executable = venv / "bin" / "azmlinfsrv"
    if _is_built(venv, wanted):
        return executable
    with _locked(venv.parent / f"{venv.name}.lock"):
        if _is_built(venv, wanted):  # another process built it while this one waited
            return executable
        if venv.exists():
            shutil.rmtree(venv)  # missing marker (a broken build) or other pins: start afresh
        uv = _uv()
        print(f"creating {venv} ({', '.join(_pins(extra))})", file=sys.stderr, flush=True)
        subprocess.run([uv, "venv", "--quiet", "--python", PYTHON, str(venv)], check=True)
        python = str(venv / "bin" / "python")
        subprocess.run(
            [uv, "pip", "install", "--quiet", "--python", python, *_pins(extra)], check=True
        )
        (venv / MARKER).write_text(wanted)
    return executable
