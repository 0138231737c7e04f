"""Azurite, Microsoft's official storage emulator (npm ``azurite``), for the bench and parity tests.

``ensure_azurite(directory)`` installs ``azurite@AZURITE_VERSION`` with npm into ``directory``
once and returns the ``azurite-blob`` executable; another version found there is replaced. An
``fcntl`` lock in the folder keeps two processes (pytest-xdist workers, a test run and the
bench) from installing at the same time. ``azurite_blob_command`` is the command line both use.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["AZURITE_VERSION", "azurite_blob_command", "ensure_azurite"]

AZURITE_VERSION = "3.35.0"


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _installed_version(directory: Path) -> str | None:
    manifest = directory / "node_modules" / "azurite" / "package.json"
    binary = directory / "node_modules" / ".bin" / "azurite-blob"
    if not (manifest.is_file() and binary.exists()):
        return None
    try:
        found = json.loads(manifest.read_text()).get("version")
    except (OSError, ValueError):
        return None
    return found if isinstance(found, str) else None


def ensure_azurite(directory: Path) -> Path:
    """``azurite-blob`` of ``azurite@AZURITE_VERSION`` installed under ``directory`` (npm, from
    the registry on the first call; reused after)."""
    binary = directory / "node_modules" / ".bin" / "azurite-blob"
    if _installed_version(directory) == AZURITE_VERSION:
        return binary
    with _locked(directory / ".install.lock"):  # inside: the folder is what git ignores
        if _installed_version(directory) == AZURITE_VERSION:  # installed while this one waited
            return binary
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is needed to install Azurite (install Node.js 18 or later)")
        print(f"installing azurite@{AZURITE_VERSION} into {directory} ...", file=sys.stderr)
        subprocess.run(
            [npm, "install", "--prefix", str(directory), f"azurite@{AZURITE_VERSION}",
             "--save-exact", "--no-audit", "--no-fund", "--loglevel=error"],
            check=True,
        )  # fmt: skip
    return binary


def azurite_blob_command(
    directory: Path,
    port: int,
    location: Path,
    tls: tuple[Path, Path] | None = None,
    *,
    loose: bool = False,
) -> list[str]:
    """The ``azurite-blob`` command line: loopback ``port``, data under ``location``, HTTPS with
    ``tls`` = (certificate, key) when given; any API version accepted, no telemetry. Accounts
    come from the ``AZURITE_ACCOUNTS`` environment variable (``name:key1[:key2];...``)."""
    command = [
        str(ensure_azurite(directory)), "--blobHost", "127.0.0.1", "--blobPort", str(port),
        "--location", str(location), "--skipApiVersionCheck", "--disableTelemetry", "--silent",
    ]  # fmt: skip
    if loose:
        command.append("--loose")
    if tls is not None:
        command += ["--cert", str(tls[0]), "--key", str(tls[1])]
    return command
