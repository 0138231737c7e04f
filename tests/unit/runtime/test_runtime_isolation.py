"""The runtime is installed into user environments: it must stand alone."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import basin.runtime

RUNTIME_DIR = Path(basin.runtime.__file__).parent


def test_public_api() -> None:
    assert sorted(basin.runtime.__all__) == sorted(
        [
            "VERSION",
            "AMLRequest",
            "AMLResponse",
            "RuntimeConfig",
            "ScoringApp",
            "build_app",
            "load_config",
            "main",
            "rawhttp",
        ]
    )
    for name in basin.runtime.__all__:
        assert getattr(basin.runtime, name) is not None


def test_imports_nothing_of_basin_or_heavy_libraries() -> None:
    code = (
        "import sys, basin.runtime, basin.runtime.cli\n"
        "bad = sorted(m for m in sys.modules if (m.startswith('basin.') and not "
        "m.startswith('basin.runtime')) or m.split('.')[0] in "
        "('fastapi', 'starlette', 'pydantic', 'numpy', 'pandas', 'inference_schema', 'httpx'))\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_runs_with_an_empty_basin_package(tmp_path: Path) -> None:
    # In a user environment basin/__init__.py may be empty and nothing else of basin present.
    site = tmp_path / "site"
    (site / "basin").mkdir(parents=True)
    (site / "basin" / "__init__.py").write_text("")
    shutil.copytree(
        RUNTIME_DIR, site / "basin" / "runtime", ignore=shutil.ignore_patterns("__pycache__")
    )
    script = tmp_path / "score.py"
    script.write_text("def init(): pass\ndef run(d): return d\n")
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import basin.runtime as r; "
        "print(r.__file__); print(r.load_config(['--entry_script', sys.argv[2]], {}).port)"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", code, str(site), str(script)],
        capture_output=True,
        text=True,
        check=True,
    )
    first, port = out.stdout.split()
    assert first.startswith(str(site))
    assert port == "5001"
