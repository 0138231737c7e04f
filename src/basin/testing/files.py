"""Searching a folder for a secret while other processes may be writing into it."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["files_containing"]


def files_containing(root: Path, needle: str, max_bytes: int | None = None) -> list[Path]:
    """Every regular file under ``root`` whose bytes contain ``needle`` (files larger than
    ``max_bytes`` skipped). Folders and files that vanish meanwhile (uv's temporary folders in a
    build cache shared by parallel tests) are passed over, not an error."""
    wanted = needle.encode()
    found = []
    for folder, _, names in os.walk(root):  # os.walk ignores folders removed under it
        for name in names:
            path = Path(folder, name)
            try:
                if path.is_symlink() or not path.is_file():
                    continue
                if max_bytes is not None and path.stat().st_size > max_bytes:
                    continue
                if wanted in path.read_bytes():
                    found.append(path)
            except FileNotFoundError:
                continue
    return found
