"""Helpers for the environment-build tests (imported by conftest.py and the tests)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from basin.testing.files import files_containing  # noqa: F401 - re-exported for the tests here
from basin.testing.packages import (  # noqa: F401 - re-exported for the tests here
    PrivateIndex,
    make_wheel,
    start_pypiserver,
    wait_until_up,
)

UV = Path(sys.executable).parent / "uv"


@dataclass
class UvSpy:
    """A uv wrapper script that records the argv of every uv process the builder starts."""

    path: Path
    record: Path

    def calls(self) -> list[list[str]]:
        if not self.record.exists():
            return []
        text = self.record.read_text()
        return [line.split("\x1f") for line in text.splitlines() if line]

    def commands(self) -> list[str]:
        """'venv', 'pip compile', 'pip sync', 'python list' for each call."""
        return [
            " ".join(call[:2]) if call[0] in ("pip", "python") else call[0] for call in self.calls()
        ]
