"""The real Azure ML inference server (``azmlinfsrv``) in a venv of its own, for the bench and tests.

``ensure_azmlinfsrv(venv)`` builds the venv once (with uv, through ``basin.testing.venvs``) and
returns the ``azmlinfsrv`` executable; a changed pin list rebuilds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

from basin.testing.venvs import ensure_venv

__all__ = ["AZMLINFSRV_VERSION", "ensure_azmlinfsrv", "pins_like_here"]

AZMLINFSRV_VERSION = "1.5.1"


def pins_like_here(names: Sequence[str] = ("numpy", "scikit-learn", "joblib")) -> list[str]:
    """``name==<version in this venv>`` pins: by default what the serving bench's scikit-learn
    script needs, so that the bench and the parity tests share one venv."""
    return [f"{name}=={version(name)}" for name in names]


def _pins(extra: Sequence[str]) -> list[str]:
    return [f"azureml-inference-server-http=={AZMLINFSRV_VERSION}", *extra]


def ensure_azmlinfsrv(
    venv: Path, extra: Sequence[str] = (), interpreter: str | None = None
) -> Path:
    """A venv at ``venv`` with ``azureml-inference-server-http`` and ``extra`` pins (on
    ``interpreter``, a path; default 3.11); returns the path of its ``azmlinfsrv``
    executable. Built on the first call (PyPI), reused after."""
    python = ensure_venv(venv, _pins(extra), *([interpreter] if interpreter else []))
    return python.parent / "azmlinfsrv"
