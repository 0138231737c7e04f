"""The compiled request path is used only while it is the build of the sources beside it."""

from __future__ import annotations

import importlib.machinery
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from basin import native

SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]


@pytest.fixture
def build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A package of sources and a folder stamped as their current build (files are stand-ins:
    only the decision is under test here)."""
    monkeypatch.delenv(native.SWITCH, raising=False)
    package, folder = tmp_path / "gateway", tmp_path / "gateway" / "_compiled"
    folder.mkdir(parents=True)
    for name in native.COMPILED:
        (package / f"{name}.py").write_text(f"# {name}\n")
    for name in (*native.COMPILED, "_compiled__mypyc"):
        (folder / f"{name}{SUFFIX}").write_bytes(b"")
    stamp = {"interpreter": native.interpreter(), "sources": native.source_digests(package)}
    (folder / native.STAMP).write_text(json.dumps(stamp))
    return folder, package


def test_a_current_build_is_used(build: tuple[Path, Path]) -> None:
    assert native.why_not(*build) is None


def test_an_edited_source_is_never_shadowed_by_its_old_build(build: tuple[Path, Path]) -> None:
    folder, package = build
    with (package / "front.py").open("a") as source:
        source.write("x = 1\n")
    assert "sources changed" in (native.why_not(folder, package) or "")


def test_a_build_for_another_python_or_a_partial_one_is_not_used(
    build: tuple[Path, Path],
) -> None:
    folder, package = build
    (folder / f"proxy{SUFFIX}").unlink()
    assert "lacks proxy" in (native.why_not(folder, package) or "")
    stamp = json.loads((folder / native.STAMP).read_text())
    stamp["interpreter"] = "cpython-312 .cpython-312-x86_64-linux-gnu.so"
    (folder / native.STAMP).write_text(json.dumps(stamp))
    assert "another Python" in (native.why_not(folder, package) or "")
    (folder / native.STAMP).write_text("{not json")
    assert "not compiled" in (native.why_not(folder, package) or "")


def test_the_switch_turns_it_off(build: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(native.SWITCH, "0")
    assert native.why_not(*build) == f"{native.SWITCH}=0"


def _loaded_from(env: dict[str, str]) -> list[str]:
    code = (
        "import basin.gateway.front as f, basin.gateway.table as t, basin.native as n;"
        "print(f.__file__); print(t.__file__); print(n.PLAIN_BECAUSE)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.splitlines()


@pytest.mark.skipif(not native.can_build(), reason="no C compiler or headers: it runs as Python")
def test_the_gateway_imports_its_compiled_modules_and_the_switch_gives_the_sources() -> None:
    # `make test` compiles the request path first (make compile): the suite runs what ships.
    env = {k: v for k, v in os.environ.items() if k != native.SWITCH}
    front, table, why = _loaded_from(env)
    assert why == "None", f"the gateway runs as Python: {why}"
    assert front == str(native.FOLDER / f"front{SUFFIX}")
    assert table == str(native.PACKAGE / "table.py")  # validates input: stays Python
    front, _, why = _loaded_from({**env, native.SWITCH: "0"})
    assert (front, why) == (str(native.PACKAGE / "front.py"), f"{native.SWITCH}=0")
