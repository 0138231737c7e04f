"""Headless Chromium from Debian's packages, driven by Playwright (nothing downloaded).

``scripts/chromium.sh`` installs the ``chromium`` package when it is missing; Playwright is told
where the browser is (``executable_path``), so ``playwright install`` is never needed.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["CHROMIUM_ARGS", "chromium", "chromium_path"]

#: Flags for a quiet, offline, throwaway browser (Playwright adds --headless and the profile).
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def chromium_path() -> str | None:
    """``BASIN_TEST_CHROMIUM`` (set by scripts/test.sh), else Debian's ``/usr/bin/chromium``."""
    for candidate in (os.environ.get("BASIN_TEST_CHROMIUM"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@contextmanager
def chromium(*, width: int = 1366, height: int = 860) -> Iterator[Any]:
    """A Playwright ``BrowserContext`` of a fresh headless Chromium (a new, empty profile)."""
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    if path is None:
        raise RuntimeError("Chromium is not installed: run scripts/chromium.sh (as root).")
    with (
        tempfile.TemporaryDirectory(prefix="basin-chromium-") as profile,
        sync_playwright() as playwright,
    ):
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=path,
            headless=True,
            args=list(CHROMIUM_ARGS),
            viewport={"width": width, "height": height},
        )
        try:
            yield context
        finally:
            context.close()
