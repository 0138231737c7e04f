"""The Azure ML examples' scikit-learn=1.2.2 conda file builds into a set that imports (PyPI)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from basin.envbuild import EnvironmentBuilder, find_pythons, spec_from_conda

# cli/endpoints/online/managed/inference-schema/env.yml, without the inference server (basin
# serves with its own runtime): scikit-learn pinned to a release built before numpy 2, numpy free.
EXAMPLE = """
name: amlex-infschema
channels:
  - conda-forge
dependencies:
  - python=3.10
  - scikit-learn=1.2.2
  - numpy
  - pandas
  - pip:
    - joblib
    - inference-schema
"""


@pytest.mark.slow
def test_old_scikit_learn_pin_gets_a_numpy_that_imports(build_cache: Path) -> None:
    uv = Path(sys.executable).parent / "uv"
    if not any(
        p.minor_text == "3.10"
        for p in find_pythons(uv, {**os.environ, "UV_PYTHON_DOWNLOADS": "never"})
    ):
        pytest.skip("the example pins Python 3.10, which is not installed on this machine")
    parsed = spec_from_conda(EXAMPLE)
    assert any("numpy<2 added" in note for note in parsed.notes)
    env = EnvironmentBuilder(build_cache, uv).build(parsed.spec)
    code = "import sklearn, numpy, pandas, inference_schema; print(sklearn.__version__, numpy.__version__)"
    done = subprocess.run([env.python, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    sklearn_version, numpy_version = done.stdout.split()
    assert sklearn_version == "1.2.2" and numpy_version.startswith("1.")
