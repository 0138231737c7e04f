"""The Azure ML examples' scikit-learn=1.2.2 conda file builds into a set that imports (PyPI)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tests.examples import SKLEARN_1_2_2_CONDA

from basin.envbuild import EnvironmentBuilder, spec_from_conda
from basin.testing.pythons import require_pythons


@pytest.mark.slow
def test_old_scikit_learn_pin_gets_a_numpy_that_imports(build_cache: Path) -> None:
    require_pythons("3.10")  # the example pins it
    parsed = spec_from_conda(SKLEARN_1_2_2_CONDA)
    assert any("numpy<2 added" in note for note in parsed.notes)
    env = EnvironmentBuilder(build_cache, Path(sys.executable).parent / "uv").build(parsed.spec)
    code = "import sklearn, numpy, pandas, inference_schema; print(sklearn.__version__, numpy.__version__)"
    done = subprocess.run([env.python, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    sklearn_version, numpy_version = done.stdout.split()
    assert sklearn_version == "1.2.2" and numpy_version.startswith("1.")
