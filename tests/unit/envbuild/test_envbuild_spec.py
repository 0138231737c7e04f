"""EnvironmentSpec and its content hash."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from basin.envbuild import (
    EnvironmentSpec,
    IndexOptions,
    PthFile,
    content_hash,
    spec_from_requirements,
)
from basin.errors import ValidationError

BASE = EnvironmentSpec(python="3.11", requirements=("numpy>=1.26", "pandas"))


def test_order_and_whitespace_do_not_change_the_hash() -> None:
    one = spec_from_requirements("numpy >= 1.26\npandas\n", python="3.11").spec
    two = spec_from_requirements("  pandas\n\n# c\nNumPy>=1.26  \n", python="3.11").spec
    assert content_hash(one) == content_hash(two) == content_hash(BASE)


@pytest.mark.parametrize(
    "changed",
    [
        replace(BASE, python="3.12"),
        replace(BASE, requirements=("numpy>=1.27", "pandas")),
        replace(BASE, index=IndexOptions(extra_index_urls=("https://f.example.com/simple/",))),
        replace(BASE, index=IndexOptions(pre=True)),
        replace(BASE, index=IndexOptions(no_index=True)),
        BASE.with_platform(("uvicorn[standard]",)),
        BASE.with_platform(pth_files=(PthFile("basin.pth", ("/opt/basin/runtime",)),)),
    ],
)
def test_everything_that_shapes_the_environment_changes_the_hash(
    changed: EnvironmentSpec,
) -> None:
    assert content_hash(changed) != content_hash(BASE)


def test_index_order_matters() -> None:
    a, b = "https://a.example.com/simple/", "https://b.example.com/simple/"
    one = replace(BASE, index=IndexOptions(extra_index_urls=(a, b)))
    two = replace(BASE, index=IndexOptions(extra_index_urls=(b, a)))
    assert content_hash(one) != content_hash(two)


def test_local_wheel_content_is_part_of_the_hash(tmp_path: Path) -> None:
    wheel = tmp_path / "mypkg-1.0-py3-none-any.whl"
    wheel.write_bytes(b"one")
    spec = EnvironmentSpec(python="3.11", requirements=(str(wheel),))
    first = content_hash(spec)
    wheel.write_bytes(b"two")
    assert content_hash(spec) != first


def test_base_requirements_merge_with_user_ones() -> None:
    spec = EnvironmentSpec(
        python="3.11",
        requirements=("numpy==2.*", "mypkg"),
        base="basin:sklearn",
        base_requirements=("numpy", "scipy"),
    )
    assert spec.all_requirements() == ("mypkg", "numpy", "numpy==2.*", "scipy")


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"python": "three"}, r"python version 'three'"),
        ({"pth_files": (PthFile("a.pth", ()), PthFile("a.pth", ()))}, r"same name"),
        (
            {"index": IndexOptions(index_url="https://u:p@f.example.com/simple/")},
            r"carries credentials",
        ),
    ],
)
def test_bad_specs_are_refused(kwargs: dict[str, object], pattern: str) -> None:
    with pytest.raises(ValidationError, match=pattern):
        EnvironmentSpec(**{"python": "3.11", **kwargs})  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["../evil.pth", "a/b.pth", "noext", ".hidden.pth"])
def test_pth_file_names_are_plain(name: str) -> None:
    with pytest.raises(ValidationError, match="plain file name"):
        PthFile(name, ("/x",))
