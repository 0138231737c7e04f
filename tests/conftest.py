"""Fixtures shared by the whole suite: a real server process, the CLI, the SDK, PostgreSQL."""

from __future__ import annotations

import contextlib
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from basin.cli.main import main as cli_main
from basin.testing import ServerProcess


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture(scope="session")
def build_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One environment build cache for every server of a test run (each builds once).

    Under xdist the workers share it (the builder locks per build, across processes)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    cache = shared / "build-cache"
    cache.mkdir(exist_ok=True)
    return cache


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, build_cache: Path) -> Iterator[ServerProcess]:
    """A real ``basin server`` process with its own home, shared by one test module."""
    home = tmp_path_factory.mktemp("home")
    with ServerProcess(home, extra_env={"BASIN_BUILD_CACHE": str(build_cache)}) as process:
        yield process


def run_cli(home: Path, *args: str) -> CliResult:
    """The real CLI, run in this process against the server whose home is ``home``."""
    out, err = io.StringIO(), io.StringIO()
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("BASIN_")}
    os.environ["BASIN_HOME"] = str(home)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli_main(list(args))
    finally:
        os.environ.pop("BASIN_HOME", None)
        os.environ.update(saved)
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli(server: ServerProcess) -> Any:
    def call(*args: str) -> CliResult:
        return run_cli(server.home, *args)

    return call


@pytest.fixture
def ml_client(server: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from basin import MLClient

    monkeypatch.setenv("BASIN_HOME", str(server.home))
    with MLClient() as client:
        yield client


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = os.environ.get("BASIN_TEST_POSTGRES_URL")
    if not url:
        pytest.skip(
            "BASIN_TEST_POSTGRES_URL is not set: run the suite with 'make test', which starts "
            "PostgreSQL through scripts/postgres.sh"
        )
    return url
