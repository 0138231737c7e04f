"""Folders made all at once: whole or absent, never half, and the first copy wins."""

from __future__ import annotations

from pathlib import Path

import pytest

from basin.services._folders import Abandon, build_folder


def test_folder_is_filled_then_renamed_into_place(tmp_path: Path) -> None:
    target = tmp_path / "made" / "abc"

    def fill(staging: Path) -> None:
        assert not target.exists()  # nobody sees it half-made
        (staging / "a.txt").write_text("a")

    assert build_folder(target, fill) == target
    assert (target / "a.txt").read_text() == "a"
    assert [p.name for p in target.parent.iterdir()] == ["abc"]  # no staging left


def test_an_existing_folder_is_kept_and_fill_not_called(tmp_path: Path) -> None:
    (tmp_path / "abc").mkdir()
    assert build_folder(tmp_path / "abc", lambda _: pytest.fail("filled again")) == tmp_path / "abc"


def test_another_process_winning_the_race_keeps_its_copy(tmp_path: Path) -> None:
    target = tmp_path / "abc"

    def fill(staging: Path) -> None:
        (staging / "mine.txt").write_text("late")
        target.mkdir()  # someone else renamed theirs into place meanwhile
        (target / "theirs.txt").write_text("first")

    assert build_folder(target, fill) == target
    assert [p.name for p in target.iterdir()] == ["theirs.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["abc"]


def test_abandon_and_failures_leave_nothing(tmp_path: Path) -> None:
    def abandon(staging: Path) -> None:
        (staging / "x").write_text("x")
        raise Abandon()

    def crash(staging: Path) -> None:
        (staging / "x").write_text("x")
        raise RuntimeError("disk full")

    assert build_folder(tmp_path / "a", abandon) is None
    with pytest.raises(RuntimeError, match="disk full"):
        build_folder(tmp_path / "b", crash)
    assert list(tmp_path.iterdir()) == []
