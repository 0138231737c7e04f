"""The scoring runtime's source imports on every Python 3.8+ this machine has (the real
interpreters: no newer syntax or standard-library names without a fallback)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import basin.runtime
from basin.envbuild import PythonInstall
from basin.services.runtime_payload import OLDEST_PYTHON
from basin.testing.pythons import installed_pythons

SRC = Path(basin.runtime.__file__).parents[2]
IMPORT_ALL = """
import importlib, pkgutil, sys
import basin.runtime as runtime
names = [m.name for m in pkgutil.iter_modules(runtime.__path__)]
for name in names:
    importlib.import_module("basin.runtime." + name)
print(sys.version_info[:2], len(names))
"""


def _interpreters() -> list[PythonInstall]:
    found = installed_pythons()
    newest: dict[tuple[int, int], PythonInstall] = {}
    for install in found:
        if install.version[:2] >= OLDEST_PYTHON:
            newest.setdefault(install.version[:2], install)
    return sorted(newest.values())


@pytest.mark.parametrize("install", _interpreters(), ids=lambda i: i.minor_text)
def test_every_runtime_module_imports(install: PythonInstall) -> None:
    # -I: no user site, no PYTHONPATH; only the runtime's folder (as in a user environment,
    # where uvicorn may be missing: the modules import it only when serving).
    code = f"import sys; sys.path.insert(0, {str(SRC)!r})\n" + IMPORT_ALL
    done = subprocess.run(
        [install.path, "-I", "-c", code], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"({install.version[0]}, {install.version[1]})")
