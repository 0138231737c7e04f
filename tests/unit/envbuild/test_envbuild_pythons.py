"""Choosing the interpreter for a requested Python version, and where interpreters are looked for."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from basin.envbuild import (
    PythonDownloads,
    PythonInstall,
    interpreter_search_path,
    select_python,
)
from basin.errors import ValidationError

AVAILABLE = [
    PythonInstall((3, 12, 1), "/py/3.12.1"),
    PythonInstall((3, 11, 7), "/py/3.11.7"),
    PythonInstall((3, 11, 2), "/py/3.11.2"),
    PythonInstall((3, 9, 18), "/py/3.9.18"),
]


@pytest.mark.parametrize(
    ("requested", "path"),
    [("3.11", "/py/3.11.7"), ("3.11.2", "/py/3.11.2"), ("3.12", "/py/3.12.1")],
)
def test_installed_versions_are_used(requested: str, path: str) -> None:
    chosen, warning = select_python(requested, AVAILABLE, allow_nearest=False)
    assert chosen is not None and chosen.path == path
    assert warning is None


def test_a_pinned_patch_release_is_served_by_the_same_series_with_a_note() -> None:
    # Conda files pin python=3.8.5 or 3.12.3: whatever patch release their author had.
    chosen, note = select_python("3.9.5", AVAILABLE, allow_nearest=False)
    assert chosen is not None and chosen.path == "/py/3.9.18"
    assert note is not None and "3.9.5" in note and "3.9.18" in note


def test_missing_version_is_refused_naming_what_is_here_and_how_to_add_it() -> None:
    with pytest.raises(ValidationError) as caught:
        select_python("3.10", AVAILABLE, allow_nearest=False)
    message = caught.value.message
    assert "Python 3.10 is not available on this server" in message
    assert "found: 3.12.1, 3.11.7, 3.11.2, 3.9.18" in message
    for way in ("pyenv install 3.10", "BASIN_PYTHON_DOWNLOADS=true", "allow_nearest_python"):
        assert way in message


@pytest.mark.parametrize(("requested", "path"), [("3.10", "/py/3.11.7"), ("3.8", "/py/3.9.18")])
def test_nearest_version_on_request_with_a_warning(requested: str, path: str) -> None:
    chosen, warning = select_python(requested, AVAILABLE, allow_nearest=True)
    assert chosen is not None and chosen.path == path
    assert warning is not None and f"Python {requested} is not installed" in warning


def test_a_missing_version_is_left_to_the_build_when_downloads_are_allowed() -> None:
    assert select_python("3.10", AVAILABLE, allow_nearest=True, downloads_allowed=True) == (
        None,
        None,
    )


def test_nothing_installed_is_refused_even_with_nearest() -> None:
    with pytest.raises(ValidationError, match="found: none"):
        select_python("3.11", [], allow_nearest=True)


def test_search_path_drops_pyenv_shims_and_adds_pyenv_and_uv_installs(tmp_path: Path) -> None:
    pyenv = tmp_path / "pyenv"
    for version in ("3.9.18", "3.12.1"):
        (pyenv / "versions" / version / "bin").mkdir(parents=True)
    uv_dir = tmp_path / "data" / "uv" / "python"
    (uv_dir / "cpython-3.13.0-linux-x86_64-gnu" / "bin").mkdir(parents=True)
    basin_dir = tmp_path / "basin-pythons"
    (basin_dir / "cpython-3.10.16-linux-x86_64-gnu" / "bin").mkdir(parents=True)
    env = {
        "PATH": os.pathsep.join([str(pyenv / "shims"), "/usr/bin"]),
        "PYENV_ROOT": str(pyenv),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    folders = interpreter_search_path(env, [basin_dir]).split(os.pathsep)
    assert str(pyenv / "shims") not in folders
    assert folders[0] == "/usr/bin"  # the server's own PATH first
    assert str(pyenv / "versions" / "3.9.18" / "bin") in folders
    assert str(pyenv / "versions" / "3.12.1" / "bin") in folders
    assert str(uv_dir / "cpython-3.13.0-linux-x86_64-gnu" / "bin") in folders
    assert str(basin_dir / "cpython-3.10.16-linux-x86_64-gnu" / "bin") in folders


def test_downloads_hand_uv_the_mirror_and_the_install_folder(tmp_path: Path) -> None:
    downloads = PythonDownloads(tmp_path, allowed=True, mirror="https://mirror.example/pbs")
    assert downloads.environment() == {
        "UV_PYTHON_INSTALL_DIR": str(tmp_path),
        "UV_PYTHON_DOWNLOADS": "manual",
        "UV_PYTHON_INSTALL_MIRROR": "https://mirror.example/pbs",
    }
