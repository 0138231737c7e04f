"""A Python the machine lacks, installed by the build with ``uv python install`` from the site's
own download list (``BASIN_PYTHON_DOWNLOADS_JSON_URL``), offline: the archive is made here from
an interpreter this machine has, in python-build-standalone's layout."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tarfile
from pathlib import Path

import pytest

from basin.envbuild import (
    EnvironmentBuilder,
    EnvironmentSpec,
    PythonDownloads,
    PythonInstall,
)
from basin.errors import ValidationError
from basin.testing.pythons import installed_pythons

UV = Path(sys.executable).parent / "uv"


def _donor() -> PythonInstall:
    """An installed interpreter with a plain prefix (bin/, lib/pythonX.Y/) that is not the
    system's, to pack as a download."""
    for install in installed_pythons():
        prefix = Path(install.path).parent.parent
        if (
            install.version[:2] != sys.version_info[:2]
            and not str(prefix).startswith("/usr")
            and (prefix / "lib" / f"python{install.minor_text}" / "os.py").is_file()
        ):
            return install
    pytest.skip("no interpreter with a plain prefix to pack as a Python download")


def _pack(install: PythonInstall, folder: Path) -> tuple[Path, str]:
    prefix = Path(install.path).parent.parent
    stdlib = f"lib/python{install.minor_text}"

    def keep(member: tarfile.TarInfo) -> tarfile.TarInfo | None:
        skip = (f"python/{stdlib}/test/", f"python/{stdlib}/site-packages/")
        if (
            member.name.startswith(skip)
            or "__pycache__" in member.name
            or member.name.endswith(".a")
        ):
            return None
        return member

    archive = folder / f"cpython-{install.version_text}-test.tar.gz"
    with tarfile.open(archive, "w:gz", compresslevel=1) as tar:
        tar.add(prefix, arcname="python", filter=keep)
    return archive, hashlib.sha256(archive.read_bytes()).hexdigest()


def _downloads_json(folder: Path, install: PythonInstall, archive: Path, sha256: str) -> Path:
    major, minor, patch = install.version
    entry = {
        "name": "cpython",
        "arch": {"family": "x86_64", "variant": None},
        "os": "linux",
        "libc": "gnu",
        "major": major,
        "minor": minor,
        "patch": patch,
        "prerelease": "",
        "url": archive.as_uri(),
        "sha256": sha256,
        "variant": None,
    }
    path = folder / "downloads.json"
    path.write_text(json.dumps({f"cpython-{install.version_text}-linux-x86_64-gnu": entry}))
    return path


def _builder(tmp_path: Path, json_url: str | None) -> EnvironmentBuilder:
    # A machine without the donor: no pyenv, no uv-managed installs, only the system's PATH.
    bare = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home")}
    downloads = PythonDownloads(tmp_path / "pythons", allowed=True, downloads_json_url=json_url)
    return EnvironmentBuilder(
        tmp_path / "cache", UV, inherited_env=bare, python_downloads=downloads
    )


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the download list names x86-64")
def test_a_missing_python_is_installed_by_the_build(tmp_path: Path) -> None:
    donor = _donor()
    archive, sha256 = _pack(donor, tmp_path)
    builder = _builder(tmp_path, str(_downloads_json(tmp_path, donor, archive, sha256)))
    assert donor.minor_text not in {p.minor_text for p in builder.installed_pythons()}
    python, note = builder.choose_python(donor.minor_text, allow_nearest=False)
    assert python == donor.minor_text and note and "installs it with uv" in note
    env = builder.build(EnvironmentSpec(python=donor.minor_text))
    assert env.python_version == donor.version_text
    log = env.log_path.read_text()
    assert "$ uv python install --no-bin" in log
    assert any(p.minor_text == donor.minor_text for p in builder.installed_pythons(refresh=True))
    assert not (tmp_path / "home" / ".local" / "bin").exists()  # nothing put on the user's PATH


def test_a_failed_install_says_what_is_here_and_how_to_add_it(tmp_path: Path) -> None:
    empty = tmp_path / "none.json"
    empty.write_text("{}")
    builder = _builder(tmp_path, str(empty))
    with pytest.raises(ValidationError) as caught:
        builder.build(EnvironmentSpec(python="3.99"))
    message = caught.value.message
    assert "Python 3.99 is not available on this server" in message
    assert "the install failed" in message and "uv said:" in message
