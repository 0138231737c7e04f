"""Air-gapped mode: private feeds, find-links and local wheels only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from envbuild_helpers import PrivateIndex, UvSpy

from basin.envbuild import EnvironmentBuilder, FeedCredential, spec_from_requirements
from basin.errors import BuildFailedError, ValidationError

Builder = Callable[..., EnvironmentBuilder]


def test_a_public_only_package_fails_clearly(
    wheelhouse: Path, make_builder: Builder, uv_spy: UvSpy
) -> None:
    text = f"--find-links {wheelhouse}\nbasin-private-a\nsix\n"
    spec = spec_from_requirements(text, python="3.11").spec
    with pytest.raises(BuildFailedError) as caught:
        make_builder(air_gapped=True).build(spec)
    message = caught.value.message
    assert "six was not found" in message
    assert "air-gapped" in message and "private feed" in message
    compile_call = next(call for call in uv_spy.calls() if call[:2] == ["pip", "compile"])
    assert not [arg for arg in compile_call if "pypi.org" in arg]


@pytest.mark.parametrize(
    "option",
    [
        "--extra-index-url https://pypi.org/simple/",
        "https://files.pythonhosted.org/x-1.0-py3-none-any.whl",
    ],
)
def test_public_urls_are_refused_before_building(
    make_builder: Builder, uv_spy: UvSpy, option: str
) -> None:
    spec = spec_from_requirements(f"{option}\n", python="3.11").spec
    with pytest.raises(ValidationError, match="air-gapped mode: the public package index"):
        make_builder(air_gapped=True).build(spec)
    assert uv_spy.calls() == []


def test_private_feed_and_local_wheels_build(
    private_index: PrivateIndex, wheelhouse: Path, make_builder: Builder
) -> None:
    credential = FeedCredential(private_index.url, private_index.username, private_index.token)
    text = f"--extra-index-url {private_index.simple}\nbasin-private-b\n"
    env = make_builder(air_gapped=True).build(
        spec_from_requirements(text, python="3.11").spec, credentials=[credential]
    )
    assert "basin-private-b==2.0" in env.lock
