"""Curated bases and Azure ML image names."""

from __future__ import annotations

import pytest

from basin.envbuild import resolve_image
from basin.errors import ValidationError


@pytest.mark.parametrize(
    ("image", "base"),
    [
        (None, "basin:minimal"),
        ("basin:sklearn", "basin:sklearn"),
        ("mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04", "basin:minimal"),
        ("mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:20240801.v1", "basin:minimal"),
        (
            "mcr.microsoft.com/azureml/openmpi4.1.0-cuda11.8-cudnn8-ubuntu22.04:latest",
            "basin:minimal",
        ),
        (
            "mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest",
            "basin:minimal",
        ),
        ("mcr.microsoft.com/azureml/minimal-ubuntu20.04-py38-cpu-inference", "basin:minimal"),
        ("mcr.microsoft.com/azureml/sklearn-1.x-ubuntu22.04-py39-cpu-inference", "basin:sklearn"),
        ("mcr.microsoft.com/azureml/sklearn-1.5-ubuntu22.04-py39-cpu:latest", "basin:sklearn"),
        ("mcr.microsoft.com/azureml/curated/sklearn-1.5:17", "basin:sklearn"),
    ],
)
def test_known_images_map_to_a_curated_base(image: str | None, base: str) -> None:
    resolved, notes = resolve_image(image)
    assert resolved.name == base
    if image and image.startswith("mcr."):
        assert notes and base in notes[0]


def test_unknown_image_is_refused_listing_the_known_ones() -> None:
    with pytest.raises(ValidationError) as caught:
        resolve_image("docker.io/library/python:3.11")
    message = caught.value.message
    assert "'docker.io/library/python:3.11' is not known" in message
    assert "basin:sklearn" in message and "openmpi4.1.0-ubuntu20.04" in message
