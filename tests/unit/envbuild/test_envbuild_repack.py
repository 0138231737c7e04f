"""Wheels made back from installed distributions (the server's own runtime packages)."""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import zipfile
from pathlib import Path

from basin.envbuild import dependency_closure, repack_installed
from basin.envbuild._repack import _tags


def test_tags_keep_every_platform_of_the_original_wheel() -> None:
    text = (
        "Wheel-Version: 1.0\nTag: cp311-cp311-manylinux_2_17_x86_64\n"
        "Tag: cp311-cp311-manylinux2014_x86_64\n"
    )
    assert _tags(text) == "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64"
    assert _tags("Tag: py3-none-any\n") == "py3-none-any"


def test_closure_of_uvicorn_follows_its_unconditional_requirements() -> None:
    names = {d.metadata["Name"].lower() for d in dependency_closure(["uvicorn"])}
    assert {"uvicorn", "click", "h11"} <= names
    assert "websockets" not in names  # only with the "standard" extra


def test_repacked_wheel_has_a_true_record_and_no_installer_files(tmp_path: Path) -> None:
    dist = importlib.metadata.distribution("h11")
    wheel = repack_installed(dist, tmp_path)
    assert wheel is not None and wheel.name == f"h11-{dist.version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        info = next(n.split("/")[0] for n in names if ".dist-info/" in n)
        assert f"{info}/METADATA" in names and f"{info}/WHEEL" in names
        assert f"{info}/INSTALLER" not in names
        assert not [n for n in names if n.endswith(".pyc") or n.startswith("..")]
        record = archive.read(f"{info}/RECORD").decode().splitlines()
        listed = {line.split(",")[0]: line.split(",")[1] for line in record}
        assert set(listed) == set(names)
        for name, digest in listed.items():
            if name.endswith("RECORD"):
                continue
            raw = hashlib.sha256(archive.read(name)).digest()
            assert digest == "sha256=" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        assert "h11/__init__.py" in names
