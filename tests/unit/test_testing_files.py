"""files_containing: finds a secret in a tree, skips what it should, survives files vanishing."""

from __future__ import annotations

import os
from pathlib import Path

from basin.testing.files import files_containing


def test_finds_the_needle_and_skips_big_files_and_links(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "hit.txt").write_text("x secret y")
    (tmp_path / "miss.txt").write_text("nothing")
    (tmp_path / "big.bin").write_bytes(b"secret" + b"\0" * 100)
    (tmp_path / "link").symlink_to(tmp_path / "a" / "b" / "hit.txt")
    assert files_containing(tmp_path, "secret", max_bytes=50) == [tmp_path / "a" / "b" / "hit.txt"]


def test_a_file_removed_during_the_walk_is_passed_over(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "gone.txt").write_text("secret")
    (tmp_path / "kept.txt").write_text("secret")
    real_walk = os.walk

    def walk_then_remove(root: Path):  # another process deletes a file the walk listed
        for folder, dirs, names in real_walk(root):
            (tmp_path / "gone.txt").unlink(missing_ok=True)
            yield folder, dirs, names

    monkeypatch.setattr("basin.testing.files.os.walk", walk_then_remove)
    assert files_containing(tmp_path, "secret") == [tmp_path / "kept.txt"]
