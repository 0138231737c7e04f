"""Extend the environment at start without rebuilding it (Azure ML prebuilt-image extensibility).

``AZUREML_EXTRA_PYTHON_LIB_PATH``: a ready site-packages folder put ahead of the environment.
``AZUREML_EXTRA_REQUIREMENTS_TXT``: a requirements file installed with ``uv`` into an overlay folder
put ahead of the environment. Both paths are relative to the scoring script's folder; the first one
set wins, as in the Azure image. Overlays are cached under ``BASIN_OVERLAY_CACHE`` (default
``~/.cache/basin/overlays``) by the hash of the file and the Python version, installed into a
temporary folder and renamed into place, so a second start installs nothing and two replicas
starting together cannot leave a half-written overlay.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import site
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "EXIT_INSTALL_FAILED",
    "EXIT_MISSING_LIB_PATH",
    "EXIT_MISSING_REQUIREMENTS",
    "ExtensionError",
    "apply_extensions",
    "overlay_key",
    "prepend_path",
]

logger = logging.getLogger("azmlinfsrv")

EXIT_MISSING_LIB_PATH = 97
EXIT_MISSING_REQUIREMENTS = 99
EXIT_INSTALL_FAILED = 95

_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s:]+(:[^/@\s]*)?@")


class ExtensionError(Exception):
    """The extension cannot be applied; ``exit_code`` is the Azure image's code for it."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class Applied:
    kind: str  # "lib_path" | "requirements" | "none"
    path: str | None = None
    installed: bool = False


def redact(text: str) -> str:
    """Hide ``user:password@`` in URLs (index URLs in requirements files carry tokens)."""
    return _CREDENTIALS.sub(r"\g<scheme>****@", text)


def prepend_path(folder: str, environ: dict[str, str] | None = None) -> None:
    """Put ``folder`` (and what its ``.pth`` files add) first on ``sys.path`` and PYTHONPATH."""
    before = list(sys.path)
    site.addsitedir(folder)  # appends folder and .pth entries at the end
    added = [p for p in sys.path if p not in before] or [folder]
    rest = [p for p in sys.path if p not in added]
    sys.path[:] = [*added, *rest]
    env = os.environ if environ is None else environ
    current = env.get("PYTHONPATH")
    env["PYTHONPATH"] = os.pathsep.join([folder, current] if current else [folder])


def overlay_key(requirements: bytes) -> str:
    """Cache key of an overlay: the requirements file's content and the interpreter."""
    digest = hashlib.sha256()
    digest.update(requirements)
    digest.update(b"\0")
    digest.update(sys.implementation.cache_tag.encode())
    digest.update(".".join(map(str, sys.version_info[:3])).encode())
    digest.update(sys.platform.encode())
    return digest.hexdigest()[:32]


def _find_uv(environ: Mapping[str, str]) -> str:
    configured = environ.get("BASIN_UV")
    if configured:
        return configured
    found = shutil.which("uv")
    if found is None:
        # The uv wheel puts its binary next to the interpreter's scripts.
        candidate = os.path.join(os.path.dirname(sys.executable), "uv")
        if os.path.isfile(candidate):
            return candidate
        raise ExtensionError(
            "Cannot install AZUREML_EXTRA_REQUIREMENTS_TXT: no uv binary (set BASIN_UV or put uv "
            "on PATH).",
            EXIT_INSTALL_FAILED,
        )
    return found


def _install(requirements: str, target: str, uv: str, cwd: str) -> None:
    command = [
        uv, "pip", "install", "--quiet", "--no-progress",
        "--python", sys.executable, "--target", target, "-r", requirements,
    ]  # fmt: skip
    try:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    except OSError as ex:
        raise ExtensionError(f"Cannot run uv at {uv}: {ex}", EXIT_INSTALL_FAILED) from None
    if done.returncode != 0:
        output = redact((done.stderr or "") + (done.stdout or "")).strip()
        raise ExtensionError(
            f"Installing {requirements} failed (uv exit code {done.returncode}):\n{output}",
            EXIT_INSTALL_FAILED,
        )


def _overlay(requirements: str, environ: Mapping[str, str]) -> tuple[str, bool]:
    """The overlay folder for ``requirements``; installs it unless cached. (path, installed)."""
    with open(requirements, "rb") as handle:
        key = overlay_key(handle.read())
    default_root = os.path.join(os.path.expanduser("~"), ".cache", "basin", "overlays")
    root = environ.get("BASIN_OVERLAY_CACHE") or default_root
    final = os.path.join(root, key)
    if os.path.isdir(final):
        logger.info(f"Reusing the cached overlay {final} for {requirements}")
        return final, False
    os.makedirs(root, exist_ok=True)
    uv = _find_uv(environ)
    staging = tempfile.mkdtemp(prefix=f".{key}.", dir=root)
    logger.info(f"Installing {requirements} into the overlay {final}")
    try:
        _install(requirements, staging, uv, os.path.dirname(requirements))
        try:
            os.rename(staging, final)
        except OSError:
            if not os.path.isdir(final):
                raise
            # Another replica finished the same overlay first; use its copy.
            shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final, True


def apply_extensions(script_dir: str, environ: Mapping[str, str] | None = None) -> Applied:
    """Apply the extension named in ``environ``; raises ``ExtensionError`` with the exit code."""
    env = os.environ if environ is None else environ
    lib_path = env.get("AZUREML_EXTRA_PYTHON_LIB_PATH")
    requirements = env.get("AZUREML_EXTRA_REQUIREMENTS_TXT")
    if lib_path:
        resolved = os.path.abspath(os.path.join(script_dir, lib_path))
        if not os.path.isdir(resolved):
            raise ExtensionError(
                f"AZUREML_EXTRA_PYTHON_LIB_PATH folder not found: {resolved}", EXIT_MISSING_LIB_PATH
            )
        if requirements:
            logger.warning(
                "AZUREML_EXTRA_PYTHON_LIB_PATH is set, so AZUREML_EXTRA_REQUIREMENTS_TXT is ignored."
            )
        prepend_path(resolved)
        logger.info(f"Added {resolved} ahead of the environment's packages")
        return Applied("lib_path", resolved)
    if requirements:
        resolved = os.path.abspath(os.path.join(script_dir, requirements))
        if not os.path.isfile(resolved):
            raise ExtensionError(
                f"AZUREML_EXTRA_REQUIREMENTS_TXT file not found: {resolved}",
                EXIT_MISSING_REQUIREMENTS,
            )
        overlay, installed = _overlay(resolved, env)
        prepend_path(overlay)
        return Applied("requirements", overlay, installed)
    return Applied("none")
