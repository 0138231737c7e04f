"""Environment build time: basin (uv, content-addressed cache) vs `python -m venv` + `pip install`.

Run from the repository root: ``.venv/bin/python bench/envbuild.py``. Needs PyPI.

Both sides install numpy, scikit-learn and joblib from PyPI into a new virtualenv:

* cold: empty caches on both sides (pip gets a fresh ``--cache-dir``, basin a fresh cache root);
* warm, same environment: a second deployment of the same environment (pip: a new venv
  installed from its now-warm cache; basin: the content-addressed cache answers);
* warm cache, new environment: the same packages plus one more (pip: new venv, warm cache;
  basin: a new build that reuses uv's cache);
* cold again with ``compile_bytecode=True``: pip byte-compiles everything it installs, basin
  by default leaves that to the first import, so this row compares like with like.

This machine's pip has extra local find-links and file:// indexes (and a constraints file)
configured in /etc/pip.conf and PIP_* variables. pip runs with ``--isolated`` (no config files,
no PIP_* environment) and ``--index-url https://pypi.org/simple`` so that both sides fetch the
same files from the same public index. uv never reads pip's configuration.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from basin.envbuild import EnvironmentBuilder, spec_from_requirements

sys.path.insert(0, str(Path(__file__).parent))
from _conditions import run_reporting_conditions

PACKAGES = ["numpy", "scikit-learn", "joblib"]
EXTRA = "threadpoolctl"  # already a dependency of scikit-learn: an overlapping change
PYPI = "https://pypi.org/simple"
UV = Path(sys.executable).parent / "uv"
CHECK = "import numpy, sklearn, joblib; print(sklearn.__version__)"


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def pip_env() -> dict[str, str]:
    """No PIP_* settings (--isolated ignores them too; this makes it explicit)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}


def pip_build(target: Path, cache: Path, packages: list[str]) -> None:
    subprocess.run([sys.executable, "-m", "venv", str(target)], check=True)
    subprocess.run(
        [
            str(target / "bin" / "python"), "-m", "pip", "--isolated", "install", "--quiet",
            "--disable-pip-version-check", "--cache-dir", str(cache), "--index-url", PYPI,
            *packages,
        ],
        check=True,
        env=pip_env(),
    )  # fmt: skip


def basin_build(cache_root: Path, packages: list[str], compile_bytecode: bool = False) -> Path:
    spec = spec_from_requirements("\n".join(packages), python="3.11").spec
    # A new builder each time: another process, another deployment; nothing held in memory.
    builder = EnvironmentBuilder(cache_root, UV, compile_bytecode=compile_bytecode)
    return builder.build(spec).python


def check(python: Path) -> str:
    done = subprocess.run([str(python), "-c", CHECK], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def pip_version(python: Path) -> str:
    done = subprocess.run(
        [str(python), "-m", "pip", "--version"], capture_output=True, text=True, check=True
    )
    return done.stdout.split()[1]


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="basin-bench-envbuild-"))
    try:
        rows = run(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print("| scenario | pip (s) | basin (s) | pip / basin |")
    print("|---|---:|---:|---:|")
    for name, pip_s, basin_s in rows:
        ratio = pip_s / basin_s
        shown = f"{ratio:.1f}x" if ratio < 100 else f"{ratio:,.0f}x"
        print(f"| {name} | {pip_s:.2f} | {basin_s:.3f} | {shown} |")
    cold, warm = rows[0], rows[1]
    print()
    print(f"goal warm (cached) < 1 s: {'met' if warm[2] < 1 else 'NOT met'} ({warm[2]:.3f} s)")
    print(f"goal cold >= 3x faster than pip: {'met' if cold[1] / cold[2] >= 3 else 'NOT met'}")


def run(root: Path) -> list[tuple[str, float, float]]:
    pip_cache, basin_cache = root / "pip-cache", root / "basin-cache"
    pip_cold = timed(lambda: pip_build(root / "pip-1", pip_cache, PACKAGES))
    basin_cold = timed(lambda: basin_build(basin_cache, PACKAGES))
    pip_warm = timed(lambda: pip_build(root / "pip-2", pip_cache, PACKAGES))
    basin_warm = timed(lambda: basin_build(basin_cache, PACKAGES))
    pip_new = timed(lambda: pip_build(root / "pip-3", pip_cache, [*PACKAGES, EXTRA]))
    basin_new = timed(lambda: basin_build(basin_cache, [*PACKAGES, EXTRA]))
    # pip writes .pyc files for everything it installs; basin does not by default.
    basin_pyc = timed(lambda: basin_build(root / "basin-cache-pyc", PACKAGES, True))

    basin_python = basin_build(basin_cache, PACKAGES)
    pip_python = root / "pip-1" / "bin" / "python"
    uv_version = subprocess.run([str(UV), "--version"], capture_output=True, text=True).stdout
    print(
        f"python {sys.version.split()[0]}, {uv_version.strip()}, pip {pip_version(pip_python)} "
        f"(the one `python -m venv` bundles), {os.cpu_count()} CPUs; "
        f"scikit-learn {check(pip_python)} (pip) / {check(basin_python)} (basin)\n"
    )
    return [
        ("cold: empty caches, new environment", pip_cold, basin_cold),
        ("warm: the same environment again", pip_warm, basin_warm),
        ("warm caches, new environment (+1 overlapping package)", pip_new, basin_new),
        ("cold, basin also compiling .pyc files as pip does", pip_cold, basin_pyc),
    ]


if __name__ == "__main__":
    run_reporting_conditions(main)
