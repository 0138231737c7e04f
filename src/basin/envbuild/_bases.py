"""Curated base environments ("images") and how Azure ML image names map onto them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from basin.errors import ValidationError

__all__ = ["CURATED_BASES", "CuratedBase", "resolve_image"]


@dataclass(frozen=True)
class CuratedBase:
    """A named set of requirements an environment can extend."""

    name: str
    requirements: tuple[str, ...]
    description: str


CURATED_BASES: Mapping[str, CuratedBase] = {
    base.name: base
    for base in (
        CuratedBase(
            "basin:minimal",
            (),
            "only what the scoring runtime needs (the platform adds it to every environment)",
        ),
        CuratedBase(
            "basin:sklearn",
            ("numpy", "scipy", "pandas", "scikit-learn", "joblib"),
            "numpy, scipy, pandas, scikit-learn and joblib",
        ),
    )
}

# Azure ML image repositories (registry and tag stripped) -> curated base. Patterns, because
# the images come in many OS / Python / CUDA / version variants.
_IMAGE_PATTERNS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (
        re.compile(r"^azureml/openmpi[\d.]+(-cuda[\w.]+)?(-cudnn\d+)?-ubuntu\d+\.\d+$"),
        "basin:minimal",
        "an Azure ML base (OpenMPI) image",
    ),
    (
        re.compile(r"^azureml/(curated/)?minimal-(ubuntu\d+\.\d+-)?py\d+-(cpu-)?inference$"),
        "basin:minimal",
        "an Azure ML minimal inference image",
    ),
    (
        re.compile(
            r"^azureml/(curated/)?sklearn-[\dx.]+(-ubuntu\d+\.\d+)?(-py\d+)?(-cpu)?(-inference)?$"
        ),
        "basin:sklearn",
        "an Azure ML scikit-learn image",
    ),
    (
        # Any other curated image (mlflow-py312-inference, tensorflow-2.16-cuda12, ...): its
        # conda file holds what the scoring script needs, as Azure ML's docs write them.
        re.compile(r"^azureml/curated/[a-z0-9][a-z0-9._-]*$"),
        "basin:minimal",
        "an Azure ML curated image",
    ),
)
_KNOWN_IMAGES = (
    "basin:minimal",
    "basin:sklearn",
    "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04 (and other openmpi*-ubuntu* tags)",
    "mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference",
    "mcr.microsoft.com/azureml/sklearn-1.x-ubuntu22.04-py39-cpu-inference (any sklearn-* tag)",
    "mcr.microsoft.com/azureml/curated/<name> (any curated image, e.g. mlflow-py312-inference)",
)


def _repository(image: str) -> str:
    """'mcr.microsoft.com/azureml/x:latest' or '...@sha256:..' -> 'azureml/x'."""
    name = image.strip().split("@", 1)[0]
    head, _, last = name.rpartition("/")
    last = last.split(":", 1)[0]
    name = f"{head}/{last}" if head else last
    return name.removeprefix("mcr.microsoft.com/").lower()


def resolve_image(
    image: str | None, bases: Mapping[str, CuratedBase] = CURATED_BASES
) -> tuple[CuratedBase, list[str]]:
    """The curated base for an environment's ``image`` (None means basin:minimal), plus notes."""
    if image is None or not image.strip():
        return bases["basin:minimal"], []
    text = image.strip()
    if text in bases:
        return bases[text], []
    repository = _repository(text)
    for pattern, base_name, what in _IMAGE_PATTERNS:
        if pattern.match(repository):
            note = (
                f"image {text!r} is {what}; basin builds it as {base_name} "
                f"({bases[base_name].description}); its OS layers are not reproduced"
            )
            return bases[base_name], [note]
    raise ValidationError(
        f"image {text!r} is not known to basin; use one of: {'; '.join(_KNOWN_IMAGES)}"
    )
