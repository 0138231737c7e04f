"""The scoring runtime's packages, chosen per Python."""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from basin.errors import ValidationError
from basin.services import runtime_payload
from basin.services.runtime_payload import (
    OLDER_PYTHON_PINS,
    RUNTIME_FLOORS,
    RUNTIME_PACKAGES,
    check_python,
    runtime_packages,
)

HERE = f"{sys.version_info[0]}.{sys.version_info[1]}"


def test_python_3_8_prefers_the_last_releases_that_support_it(tmp_path: Path) -> None:
    chosen = runtime_packages(tmp_path, "3.8.5", air_gapped=False)
    assert chosen.requirements == tuple(f"{n}>={RUNTIME_FLOORS[n]}" for n in RUNTIME_PACKAGES)
    assert chosen.preferred == ("uvicorn==0.33.0", "httptools==0.6.4", "uvloop==0.21.0")
    # the server's own wheels first, then the folder the first 3.8 build fills
    assert len(chosen.find_links) == 2 and "py3.8-" in chosen.find_links[1]


def test_the_server_s_python_prefers_the_server_s_own_versions(tmp_path: Path) -> None:
    chosen = runtime_packages(tmp_path, HERE, air_gapped=False)
    assert chosen.preferred == tuple(
        f"{n}=={importlib.metadata.version(n)}" for n in RUNTIME_PACKAGES
    )
    assert len(chosen.find_links) == 1  # the repacked server copies only


def test_air_gapped_without_fast_wheels_serves_with_pure_uvicorn(tmp_path: Path) -> None:
    chosen = runtime_packages(tmp_path, "3.12", air_gapped=True)
    assert chosen.requirements == ("uvicorn>=0.33",)
    assert chosen.notes and "pure-Python" in chosen.notes[0]


def test_air_gapped_with_kept_fast_wheels_uses_them(tmp_path: Path) -> None:
    folder = Path(runtime_packages(tmp_path, "3.12", air_gapped=False).find_links[1])
    for name in ("httptools-0.9.0-cp312-cp312-x.whl", "uvloop-0.23.0-cp312-cp312-x.whl"):
        (folder / name).write_bytes(b"")
    assert len(runtime_packages(tmp_path, "3.12", air_gapped=True).requirements) == 3


def test_pythons_older_than_the_runtime_are_refused_or_raised_on_request() -> None:
    with pytest.raises(ValidationError, match="too old for the scoring runtime"):
        check_python("3.7", allow_nearest=False)
    assert check_python("3.7", allow_nearest=True)[0] == "3.8"
    assert check_python("3.13", allow_nearest=False) == ("3.13", None)


@pytest.mark.parametrize("minor", range(8, 14))
def test_every_python_gets_versions_that_support_it(minor: int) -> None:
    """The server's own versions must admit every Python the table leaves to them: a newer
    uv.lock that drops one fails here, and the table needs a row for it."""
    if (3, minor) in OLDER_PYTHON_PINS:
        return
    for name in RUNTIME_PACKAGES:
        requires = importlib.metadata.metadata(name)["Requires-Python"] or ""
        assert SpecifierSet(requires).contains(f"3.{minor}"), (name, requires)


def test_the_runtime_copy_leaves_out_its_lint_settings(tmp_path: Path) -> None:
    pth = runtime_payload.runtime_pth(tmp_path)
    copied = Path(pth.lines[0]) / "basin" / "runtime"
    assert (copied / "cli.py").is_file() and not (copied / "ruff.toml").exists()
