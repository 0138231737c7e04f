"""conda-forge's numpy bound for old pins, applied when a conda file is translated."""

from __future__ import annotations

import pytest
from tests.examples import SKLEARN_1_2_2_CONDA

from basin.envbuild import parse_conda_file
from basin.envbuild._bounds import numpy_bound


@pytest.mark.parametrize(
    "requirements",
    [
        ["scikit-learn==1.2.2.*", "numpy"],
        ["scikit-learn==1.2.*"],
        ["scikit-learn<1.3"],
        ["scikit-learn~=1.2.0"],
        ["scikit-learn<=1.4.1"],
        ["scipy==1.10.1", "numpy>=1.20"],
        ["torch==2.2.2", "xgboost==1.7.6"],
    ],
)
def test_old_pins_bound_numpy_below_2(requirements: list[str]) -> None:
    bound = numpy_bound(requirements)
    assert bound is not None and bound[0] == "numpy<2"
    assert "built before numpy 2" in bound[1]


@pytest.mark.parametrize(
    "requirements",
    [
        ["scikit-learn==1.4.2"],  # the first release built for numpy 2
        ["scikit-learn==1.7.0", "numpy"],
        ["scikit-learn>=1.0"],  # allows new releases: the resolver picks one that fits
        ["scikit-learn"],
        ["scikit-learn==1.2.2", "numpy==1.23.5"],  # numpy pinned already
        ["scikit-learn==1.2.2", "numpy==2.3.1"],  # numpy 2 asked for: the file's choice
        ["mlflow", "cloudpickle==1.6.0"],  # nothing compiled against numpy pinned
    ],
)
def test_new_or_free_pins_leave_numpy_alone(requirements: list[str]) -> None:
    assert numpy_bound(requirements) is None


def test_the_examples_sklearn_1_2_2_file_gets_the_bound_and_a_note() -> None:
    conda = parse_conda_file(SKLEARN_1_2_2_CONDA)
    assert "numpy<2" in conda.requirements
    assert any("numpy<2 added: scikit-learn==1.2.2.*" in note for note in conda.notes)
