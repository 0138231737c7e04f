"""A conda file of the Azure ML examples' shape, built from PyPI (needs the network)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

import pytest
from envbuild_helpers import UvSpy

from basin.envbuild import EnvironmentBuilder, spec_from_conda

Builder = Callable[..., EnvironmentBuilder]

CONDA = """
name: sklearn-env
channels:
  - conda-forge
dependencies:
  - python=3.11
  - numpy
  - scikit-learn
  - pip
  - pip:
    - joblib
"""


@pytest.mark.slow
def test_azure_shaped_conda_file_builds_and_is_then_cached(
    make_builder: Builder, uv_spy: UvSpy
) -> None:
    parsed = spec_from_conda(CONDA, image="mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04")
    env = make_builder().build(parsed.spec)
    code = "import numpy, sklearn, joblib; print(sklearn.__version__)"
    done = subprocess.run([env.python, "-c", code], capture_output=True, text=True, check=True)
    assert f"scikit-learn=={done.stdout.strip()}" in env.lock
    calls = len(uv_spy.calls())

    again = make_builder().build(spec_from_conda(CONDA).spec)
    assert again.cache_hit and again.path == env.path
    assert len(uv_spy.calls()) == calls
