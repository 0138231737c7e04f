"""``replace_file``: the old file or the new one, never a mix, with its mode from the first byte."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from basin.files import remove_temporaries, replace_file, temporaries


def test_a_file_is_replaced_whole_with_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "credentials.json"
    replace_file(target, "old", durable=True)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    replace_file(target, b"new", mode=0o644)
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert os.listdir(tmp_path) == ["credentials.json"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "routes.json"
    replace_file(target, "old")
    with pytest.raises(TypeError):
        replace_file(target, 42)  # type: ignore[arg-type]
    assert target.read_text() == "old"
    assert temporaries(tmp_path) == []


def test_only_its_own_temporaries_are_removed(tmp_path: Path) -> None:
    left = tmp_path / ".manifest.json.a1b2c3_d.tmp"
    left.write_text("half")
    keep = [tmp_path / "user.tmp", tmp_path / "manifest.json"]
    for path in keep:
        path.write_text("mine")
    assert temporaries(tmp_path) == [left]
    assert remove_temporaries(tmp_path) == 1
    assert sorted(tmp_path.iterdir()) == sorted(keep)
    assert remove_temporaries(tmp_path / "absent") == 0
