"""The azureml registry's curated environments: references, names and pinned definitions."""

from __future__ import annotations

import pytest

from basin.envbuild import spec_from_conda
from basin.errors import NotFoundError, ValidationError
from basin.services.curated_environments import (
    CURATED,
    CuratedReference,
    find,
    parse_reference,
    workspace_name,
)


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        (
            "azureml://registries/azureml/environments/sklearn-1.5/labels/latest",
            CuratedReference("sklearn-1.5", None),
        ),
        (
            "azureml://registries/azureml/environments/sklearn-1.5/versions/28",
            CuratedReference("sklearn-1.5", "28"),
        ),
        ("azureml:AzureML-sklearn-1.5@latest", CuratedReference("sklearn-1.5", None)),
        (
            "azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:3",
            CuratedReference("sklearn-1.0-ubuntu20.04-py38-cpu", "3"),
        ),
        ("azureml:my-env:3", None),
        ("azureml:my-env@latest", None),
    ],
)
def test_references_of_each_form(reference: str, expected: CuratedReference | None) -> None:
    assert parse_reference(reference) == expected


@pytest.mark.parametrize(
    ("reference", "says"),
    [
        ("azureml://registries/mine/environments/x/labels/latest", "one registry, 'azureml'"),
        ("azureml://registries/azureml/environments/sklearn-1.5", "needs a version or a label"),
        ("azureml://registries/azureml/environments/sklearn-1.5/labels/prod", "only label"),
        ("azureml://registries/azureml/environments/sklearn-1.5/versions/v2", "is a number"),
        ("azureml:AzureML-sklearn-1.5", "needs a version or @latest"),
    ],
)
def test_malformed_references_are_refused(reference: str, says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        parse_reference(reference)


def test_names_and_aliases_are_found_case_insensitively() -> None:
    assert find("sklearn-1.5").name == "sklearn-1.5"
    assert find("AzureML-SKLEARN-1.5").name == "sklearn-1.5"
    assert find("sklearn-1.0-ubuntu20.04-py38-cpu").name == "sklearn-1.0"
    assert workspace_name(find("lightgbm-3.3")) == "AzureML-lightgbm-3.3"


def test_unknown_names_list_the_known_ones() -> None:
    with pytest.raises(NotFoundError) as caught:
        find("sklearn-9.9")
    for curated in CURATED:
        assert curated.name in caught.value.message


def test_the_issue_s_families_are_defined() -> None:
    names = [curated.name for curated in CURATED]
    for family in ("sklearn", "lightgbm", "xgboost", "pytorch", "tensorflow", "minimal", "mlflow"):
        assert any(name.startswith(family) for name in names), family


@pytest.mark.parametrize("curated", CURATED, ids=lambda c: c.name)
def test_every_definition_is_a_pinned_conda_file(curated: object) -> None:
    from basin.services.curated_environments import CuratedEnvironment

    assert isinstance(curated, CuratedEnvironment)
    spec = spec_from_conda(curated.conda_file()).spec
    assert spec.python == curated.python
    assert spec.requirements and all("==" in line for line in spec.requirements)
    # No CUDA from PyPI: the CPU builds are named explicitly.
    assert not any(
        line.startswith(("xgboost==", "tensorflow==", "torch==2"))
        for line in spec.requirements
        if "+cpu" not in line
    )
