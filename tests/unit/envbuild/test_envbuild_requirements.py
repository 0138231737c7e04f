"""Requirement lines and pip options."""

from __future__ import annotations

from pathlib import Path

import pytest

from basin.envbuild import normalise_requirement, parse_requirement_lines
from basin.errors import ValidationError


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("numpy", "numpy"),
        ("  NumPy  >= 1.26 ,  < 3 ", "numpy<3,>=1.26"),
        ("Scikit_Learn==1.5.*", "scikit-learn==1.5.*"),
        ("pandas[Excel, parquet]~=2.2", "pandas[excel,parquet]~=2.2"),
        ("requests (>=2)", "requests>=2"),
        ('pywin32; sys_platform == "win32"', 'pywin32; sys_platform == "win32"'),
        (
            "mypkg @ https://h.example.com/mypkg-1.0-py3-none-any.whl",
            "mypkg @ https://h.example.com/mypkg-1.0-py3-none-any.whl",
        ),
        (
            "https://h.example.com/files/My_Pkg-1.0-py3-none-any.whl",
            "my-pkg @ https://h.example.com/files/My_Pkg-1.0-py3-none-any.whl",
        ),
    ],
)
def test_normalises(line: str, expected: str) -> None:
    assert normalise_requirement(line) == expected


def test_local_wheel_path_becomes_a_file_url(tmp_path: Path) -> None:
    wheel = tmp_path / "mypkg-1.0-py3-none-any.whl"
    wheel.write_bytes(b"")
    assert normalise_requirement("mypkg-1.0-py3-none-any.whl", base_dir=tmp_path) == (
        f"mypkg @ {wheel.as_uri()}"
    )
    assert normalise_requirement(str(wheel)) == f"mypkg @ {wheel.as_uri()}"


@pytest.mark.parametrize(
    ("line", "pattern"),
    [
        ("numpy=>1", r"'numpy=>1' is not a valid requirement: the version clause '=>1'"),
        ("numpy>=1.*", r"wildcard version"),
        ("-numpy", r"does not start with a project name"),
        ("./missing-1.0-py3-none-any.whl", r"relative path needs the folder"),
        ("/nowhere/missing-1.0-py3-none-any.whl", r"does not exist"),
        ("https://h.example.com/download?id=3", r"cannot tell the project name"),
    ],
)
def test_bad_lines_are_refused_with_the_rule(line: str, pattern: str) -> None:
    with pytest.raises(ValidationError, match=pattern):
        normalise_requirement(line, where="requirements file")


def test_requirements_file_with_options_comments_and_continuations() -> None:
    text = """
# a comment
-i https://feed.example.com/simple/
--extra-index-url=https://other.example.com/simple/
numpy>=1.26 \\
    ,<3  # trailing comment
--pre
pandas
"""
    parsed = parse_requirement_lines(text, where="requirements file")
    assert parsed.requirements == ["numpy<3,>=1.26", "pandas"]
    assert parsed.index.index_url == "https://feed.example.com/simple/"
    assert parsed.index.extra_index_urls == ("https://other.example.com/simple/",)
    assert parsed.index.pre is True


def test_two_index_urls_are_refused() -> None:
    text = "-i https://a.example.com/simple/\n-i https://b.example.com/simple/\n"
    with pytest.raises(ValidationError, match="two different --index-url"):
        parse_requirement_lines(text, where="requirements file")


def test_unknown_option_lists_the_supported_ones() -> None:
    with pytest.raises(ValidationError, match=r"'-e \.' is not supported; supported options"):
        parse_requirement_lines("-e .\n", where="requirements file")


def test_credentials_in_a_requirement_url_are_not_echoed() -> None:
    line = "mypkg @ https://me:tok-123456@h.example.com/mypkg-1.0-py3-none-any.whl"
    with pytest.raises(ValidationError) as caught:
        normalise_requirement(line)
    assert "tok-123456" not in caught.value.message
    assert "****" in caught.value.message
