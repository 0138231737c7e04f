"""Conda files (Azure ML shape) -> PyPI requirements."""

from __future__ import annotations

from pathlib import Path

import pytest

from basin.envbuild import parse_conda_file, spec_from_conda, translate_conda_dependency
from basin.errors import ValidationError

AZURE_EXAMPLE = """
name: model-env
channels:
  - conda-forge
dependencies:
  - python=3.11
  - numpy=1.26
  - scikit-learn==1.5.1
  - pip
  - pip:
    - --extra-index-url https://pkgs.example.com/org/_packaging/feed/pypi/simple/
    - azureml-inference-server-http
    - inference-schema[numpy-support]>=1.8
"""


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("numpy", "numpy"),
        ("numpy=1.26", "numpy==1.26.*"),
        ("numpy=1.26.*", "numpy==1.26.*"),
        ("numpy=1.26*", "numpy==1.26.*"),
        ("numpy==1.26.4", "numpy==1.26.4"),
        ("numpy>=1.22,<2", "numpy<2,>=1.22"),
        ("numpy >=1.22", "numpy>=1.22"),
        ("numpy 1.26.4", "numpy==1.26.4"),
        ("numpy 1.26.* py311_0", "numpy==1.26.*"),
        ("numpy=1.26.4=py311h64a7726_0", "numpy==1.26.4.*"),
        ("conda-forge::pandas=2.2", "pandas==2.2.*"),
        ("pytorch=2.3", "torch==2.3.*"),
        ("pytorch-cpu", "torch"),
        ("py-xgboost=2.0", "xgboost==2.0.*"),
        ("scikit-learn=1.5", "scikit-learn==1.5.*"),
        ("setuptools", "setuptools"),
        ("wheel", "wheel"),
        ("Pillow", "pillow"),
    ],
)
def test_translates_conda_dependency(entry: str, expected: str) -> None:
    requirement, python, _ = translate_conda_dependency(entry)
    assert python is None
    assert requirement == expected


@pytest.mark.parametrize(
    ("entry", "version"), [("python=3.11", "3.11"), ("python==3.11.7", "3.11.7"), ("python", None)]
)
def test_python_entry_sets_the_version(entry: str, version: str | None) -> None:
    requirement, python, _ = translate_conda_dependency(entry)
    assert requirement is None
    assert python == version


def test_python_range_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"python>=3\.8.*pinned to one version"):
        translate_conda_dependency("python>=3.8")


def test_pip_itself_is_skipped_with_a_note() -> None:
    requirement, _, notes = translate_conda_dependency("pip=24")
    assert requirement is None
    assert "skipped" in notes[0]


def test_or_spec_is_refused_with_the_fix() -> None:
    with pytest.raises(ValidationError, match=r"'numpy=1.2\|1.3'.*pick one range"):
        translate_conda_dependency("numpy=1.2|1.3")


def test_packages_without_pypi_counterpart_are_named_together() -> None:
    text = "dependencies:\n  - python=3.11\n  - cudatoolkit=11.8\n  - numpy\n  - mkl\n  - libgcc\n"
    with pytest.raises(ValidationError) as caught:
        parse_conda_file(text)
    message = caught.value.message
    assert "cudatoolkit=11.8, mkl, libgcc have no PyPI counterpart" in message
    assert "Remove them" in message


def test_azure_example_shape() -> None:
    conda = parse_conda_file(AZURE_EXAMPLE)
    assert conda.name == "model-env"
    assert conda.python == "3.11"
    assert conda.requirements == [
        "numpy==1.26.*",
        "scikit-learn==1.5.1",
        "azureml-inference-server-http",
        "inference-schema[numpy-support]>=1.8",
    ]
    assert conda.index.extra_index_urls == (
        "https://pkgs.example.com/org/_packaging/feed/pypi/simple/",
    )
    assert any("conda-forge" in note for note in conda.notes)


def test_pip_options_in_the_pip_section_are_honoured(tmp_path: Path) -> None:
    (tmp_path / "wheels").mkdir()
    text = """
dependencies:
  - python=3.11
  - pip:
    - --index-url=https://feed.example.com/simple/
    - -f wheels
    - --find-links https://feed.example.com/links/
    - --pre
    - mypkg
"""
    conda = parse_conda_file(text, base_dir=tmp_path)
    assert conda.index.index_url == "https://feed.example.com/simple/"
    assert conda.index.find_links == (
        str(tmp_path / "wheels"),
        "https://feed.example.com/links/",
    )
    assert conda.index.pre is True


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("dependencies: [numpy]\nvariables: {A: 1}\n", r"unknown field\(s\) variables"),
        ("dependencies: numpy\n", r"'dependencies' must be a list"),
        ("dependencies:\n  - {conda: [x]}\n", r"only mapping allowed.*'pip:'"),
        ("dependencies: [\n", r"not valid YAML"),
        ("- numpy\n", r"expected a mapping"),
        ("dependencies:\n  - pip:\n    - -r other.txt\n", r"'-r other.txt' is not supported"),
        ("dependencies:\n  - pip:\n    - numpy>>1\n", r"'numpy>>1' is not a valid requirement"),
    ],
)
def test_bad_conda_files_name_the_problem(text: str, pattern: str) -> None:
    with pytest.raises(ValidationError, match=pattern):
        parse_conda_file(text)


def test_token_in_a_pip_url_is_refused_without_echoing_it() -> None:
    text = (
        "dependencies:\n  - pip:\n"
        "    - --extra-index-url https://user:s3cr3t-token@feed.example.com/simple/\n"
    )
    with pytest.raises(ValidationError) as caught:
        parse_conda_file(text)
    assert "s3cr3t-token" not in caught.value.message
    assert "workspace connection" in caught.value.message


def test_spec_from_conda_uses_the_image_base() -> None:
    parsed = spec_from_conda(
        AZURE_EXAMPLE,
        image="mcr.microsoft.com/azureml/sklearn-1.5-ubuntu22.04-py39-cpu-inference:latest",
    )
    assert parsed.spec.python == "3.11"
    assert parsed.spec.base == "basin:sklearn"
    assert "scikit-learn" in parsed.spec.base_requirements
    assert "numpy==1.26.*" in parsed.spec.all_requirements()
    assert any("scikit-learn image" in note for note in parsed.notes)


def test_spec_from_conda_without_python_uses_the_default_and_says_so() -> None:
    parsed = spec_from_conda("dependencies: [numpy]\n", python="3.11")
    assert parsed.spec.python == "3.11"
    assert any("does not pin python" in note for note in parsed.notes)
