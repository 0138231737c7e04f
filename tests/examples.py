"""Files from Azure ML's examples that several tests use."""

from __future__ import annotations

#: cli/endpoints/online/managed/inference-schema/env.yml of azureml-examples, without the
#: inference server (basin serves with its own runtime): scikit-learn pinned to a release built
#: before numpy 2, numpy left free.
SKLEARN_1_2_2_CONDA = """
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
