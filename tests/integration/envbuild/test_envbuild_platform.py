"""What the platform adds to a build: preferred versions, and failures that name the user's
requirement, never the platform's (offline: local wheels only)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from envbuild_helpers import make_wheel

from basin.envbuild import EnvironmentBuilder, EnvironmentSpec, spec_from_requirements
from basin.errors import BuildFailedError

Builder = Callable[..., EnvironmentBuilder]


@pytest.fixture(scope="module")
def runtime_wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stand-in runtime (basin-rt 1.0 and 2.0, both needing basin-h >= 1), basin-h 0.5, 1
    and 2, and a user package that needs basin-h < 1."""
    folder = tmp_path_factory.mktemp("rt-wheels")
    for version in ("1.0", "2.0"):
        make_wheel(folder, "basin-rt", version, requires=("basin-h>=1",))
    for version in ("0.5", "1.0", "2.0"):
        make_wheel(folder, "basin-h", version)
    make_wheel(folder, "basin-old-h", "1.0", requires=("basin-h<1",))
    return folder


def _spec(
    folder: Path, *user: str, platform: tuple[str, ...], preferred: tuple[str, ...] = ()
) -> EnvironmentSpec:
    text = f"--no-index\n--find-links {folder}\n" + "\n".join(user) + "\n"
    spec = spec_from_requirements(text, python="3.11").spec
    return replace(spec, platform_requirements=platform, preferred=preferred)


def test_the_preferred_version_wins_when_it_fits(
    runtime_wheels: Path, make_builder: Builder
) -> None:
    spec = _spec(runtime_wheels, platform=("basin-rt>=1",), preferred=("basin-rt==1.0",))
    env = make_builder().build(spec)
    assert "basin-rt==1.0" in env.lock
    # Without the preference the resolver takes the newest.
    newest = make_builder().build(replace(spec, preferred=()))
    assert "basin-rt==2.0" in newest.lock


def test_a_conflict_with_the_platform_names_the_user_requirement(
    runtime_wheels: Path, make_builder: Builder
) -> None:
    spec = _spec(runtime_wheels, "basin-old-h==1.0", platform=("basin-rt>=1",))
    with pytest.raises(BuildFailedError) as caught:
        make_builder().build(spec)
    message = caught.value.message
    assert "your requirement basin-old-h==1.0 cannot be installed together with" in message
    assert (
        "you require basin-rt, that is basin's scoring runtime's basin-rt>=1, not yours" in message
    )
    assert "your requirements resolve on their own" in message


def test_a_conflict_among_the_user_s_own_requirements_is_uv_s_alone(
    runtime_wheels: Path, make_builder: Builder
) -> None:
    spec = _spec(runtime_wheels, "basin-h==2.0", "basin-old-h==1.0", platform=("basin-rt>=1",))
    with pytest.raises(BuildFailedError) as caught:
        make_builder().build(spec)
    message = caught.value.message
    assert "basin-old-h" in message and "basin-h" in message
    assert "basin-rt" not in message  # the platform's requirement plays no part in it
