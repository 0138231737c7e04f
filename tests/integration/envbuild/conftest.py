"""Fixtures for environment builds: tiny wheels, a private pypiserver with htpasswd, a uv spy."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from envbuild_helpers import UV, PrivateIndex, UvSpy, make_wheel, start_pypiserver

from basin.envbuild import EnvironmentBuilder


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """basin-private-a 1.0 (console script basin-hello), basin-private-b 2.0 (needs a)."""
    folder = tmp_path_factory.mktemp("wheelhouse")
    make_wheel(folder, "basin-private-a", "1.0", scripts={"basin-hello": "basin_private_a:main"})
    make_wheel(folder, "basin-private-b", "2.0", requires=("basin-private-a>=1.0",))
    return folder


@pytest.fixture(scope="module")
def private_index(
    wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PrivateIndex]:
    workdir = tmp_path_factory.mktemp("pypiserver")
    process, index = start_pypiserver(
        wheelhouse, workdir, "basin", "pat-" + secrets.token_urlsafe(24)
    )
    yield index
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture
def uv_spy(tmp_path: Path) -> UvSpy:
    record = tmp_path / "uv-argv.log"
    script = tmp_path / "uv-spy"
    script.write_text(
        "#!/bin/sh\n"
        f"( IFS=\"$(printf '\\037')\"; printf '%s\\n' \"$*\" ) >> '{record}'\n"
        f"exec '{UV}' \"$@\"\n"
    )
    script.chmod(0o755)
    return UvSpy(script, record)


@pytest.fixture
def make_builder(tmp_path: Path, uv_spy: UvSpy) -> Callable[..., EnvironmentBuilder]:
    """A builder with a fresh cache root whose uv is the spy."""

    def make(air_gapped: bool = False, cache_root: Path | None = None) -> EnvironmentBuilder:
        return EnvironmentBuilder(
            cache_root or tmp_path / "cache", uv_spy.path, air_gapped=air_gapped
        )

    return make


@pytest.fixture
def copy_wheel(wheelhouse: Path, tmp_path: Path) -> Callable[[str], Path]:
    def copy(filename: str) -> Path:
        target = tmp_path / "uploads"
        target.mkdir(exist_ok=True)
        return Path(shutil.copy(wheelhouse / filename, target / filename))

    return copy
