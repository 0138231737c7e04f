"""AZUREML_EXTRA_REQUIREMENTS_TXT / AZUREML_EXTRA_PYTHON_LIB_PATH: the user's versions win.

The "base environment" holds ``basinprobe`` 1.0 (a folder on PYTHONPATH); the user pins 2.0 in a
requirements file (wheels made here, served with --find-links, no network) or mounts 3.0 as a
ready site-packages folder.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
import sys
import zipfile
from pathlib import Path

import pytest

from tests.integration.runtime.conftest import base_env, run_to_exit, write_script

SCRIPT = """
    import basinprobe

    def init():
        pass

    def run(data):
        return {"version": basinprobe.__version__, "file": basinprobe.__file__}
"""


def make_wheel(folder: Path, version: str) -> Path:
    """A tiny pure-Python wheel of ``basinprobe`` at ``version``."""
    folder.mkdir(parents=True, exist_ok=True)
    info = f"basinprobe-{version}.dist-info"
    files = {
        "basinprobe/__init__.py": f'__version__ = "{version}"\n',
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: basinprobe\nVersion: {version}\n",
        f"{info}/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: basin-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{name},sha256={digest.decode()},{len(text.encode())}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = "\n".join(record) + "\n"
    path = folder / f"basinprobe-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


@pytest.fixture
def setup(tmp_path: Path) -> dict[str, Path]:
    base_site = tmp_path / "base-site" / "basinprobe"
    base_site.mkdir(parents=True)
    (base_site / "__init__.py").write_text('__version__ = "1.0"\n')
    wheels = tmp_path / "wheels"
    make_wheel(wheels, "1.0")
    make_wheel(wheels, "2.0")
    calls = tmp_path / "uv-calls.log"
    uv_wrapper = tmp_path / "uv-wrapper.sh"
    real_uv = Path(sys.executable).parent / "uv"
    uv_wrapper.write_text(f'#!/bin/sh\necho "$@" >> {calls}\nexec {real_uv} "$@"\n')
    uv_wrapper.chmod(uv_wrapper.stat().st_mode | stat.S_IEXEC)
    return {
        "root": tmp_path,
        "base_site": tmp_path / "base-site",
        "wheels": wheels,
        "calls": calls,
        "uv": uv_wrapper,
        "cache": tmp_path / "overlays",
    }


def _env(setup: dict[str, Path], **extra: str) -> dict[str, str]:
    return base_env(
        PYTHONPATH=str(setup["base_site"]),
        BASIN_UV=str(setup["uv"]),
        BASIN_OVERLAY_CACHE=str(setup["cache"]),
        UV_CACHE_DIR=str(setup["root"] / "uv-cache"),
        **extra,
    )


def test_base_environment_version_without_extensions(serve, setup) -> None:
    runtime = serve(SCRIPT, env=_env(setup))
    assert runtime.client.post("/score", content="x").json()["version"] == "1.0"


def test_requirements_overlay_wins_and_is_reused(serve, setup) -> None:
    app = setup["root"] / "app"
    app.mkdir()
    (app / "extra-requirements.txt").write_text(
        f"--no-index\n--find-links {setup['wheels']}\nbasinprobe==2.0\n"
    )
    env = _env(setup, AZUREML_EXTRA_REQUIREMENTS_TXT="extra-requirements.txt")

    first = serve(SCRIPT, env=env, folder=app)
    answer = first.client.post("/score", content="x").json()
    assert answer["version"] == "2.0"
    assert answer["file"].startswith(str(setup["cache"]))
    assert len(setup["calls"].read_text().splitlines()) == 1  # uv ran once
    overlays = [p for p in setup["cache"].iterdir() if not p.name.startswith(".")]
    assert len(overlays) == 1
    assert [p.name for p in setup["cache"].iterdir() if p.name.startswith(".")] == []
    first.stop()

    second = serve(SCRIPT, env=env, folder=app)
    assert second.client.post("/score", content="x").json()["version"] == "2.0"
    assert len(setup["calls"].read_text().splitlines()) == 1  # the second start installed nothing
    assert f"Reusing the cached overlay {overlays[0]}" in second.output()


def test_lib_path_wins(serve, setup) -> None:
    app = setup["root"] / "app"
    lib = app / "myenv" / "site-packages" / "basinprobe"
    lib.mkdir(parents=True)
    (lib / "__init__.py").write_text('__version__ = "3.0"\n')
    env = _env(setup, AZUREML_EXTRA_PYTHON_LIB_PATH="myenv/site-packages")

    runtime = serve(SCRIPT, env=env, folder=app)
    assert runtime.client.post("/score", content="x").json()["version"] == "3.0"
    assert not setup["calls"].exists()


def test_missing_requirements_file_exits_99(setup) -> None:
    script = write_script(setup["root"] / "app", SCRIPT)
    env = _env(setup, AZUREML_EXTRA_REQUIREMENTS_TXT="nope/requirements.txt")
    code, output = run_to_exit(script, env=env)
    assert code == 99
    assert str(setup["root"] / "app" / "nope" / "requirements.txt") in output


def test_missing_lib_path_exits_97(setup) -> None:
    script = write_script(setup["root"] / "app", SCRIPT)
    code, output = run_to_exit(script, env=_env(setup, AZUREML_EXTRA_PYTHON_LIB_PATH="gone"))
    assert code == 97
    assert str(setup["root"] / "app" / "gone") in output


def test_install_failure_exits_95_without_leaking_credentials(setup) -> None:
    app = setup["root"] / "app"
    script = write_script(app, SCRIPT)
    (app / "requirements.txt").write_text(
        "--no-index\n"
        f"--find-links {setup['wheels']}\n"
        "--extra-index-url https://user:s3cr3t-token@127.0.0.1:9/simple\n"
        "basinprobe==9.9\n"
    )
    env = _env(setup, AZUREML_EXTRA_REQUIREMENTS_TXT="requirements.txt")
    code, output = run_to_exit(script, env=env)
    assert code == 95
    assert "basinprobe" in output
    assert "s3cr3t-token" not in output
    assert os.listdir(setup["cache"]) == []  # no half-written overlay left behind
