"""Choosing the interpreter for a requested Python version."""

from __future__ import annotations

import pytest

from basin.envbuild import PythonInstall, select_python
from basin.errors import ValidationError

AVAILABLE = [
    PythonInstall((3, 12, 1), "/py/3.12.1"),
    PythonInstall((3, 11, 7), "/py/3.11.7"),
    PythonInstall((3, 11, 2), "/py/3.11.2"),
    PythonInstall((3, 9, 18), "/py/3.9.18"),
]


@pytest.mark.parametrize(
    ("requested", "path"),
    [("3.11", "/py/3.11.7"), ("3.11.2", "/py/3.11.2"), ("3.12", "/py/3.12.1")],
)
def test_installed_versions_are_used(requested: str, path: str) -> None:
    chosen, warning = select_python(requested, AVAILABLE, allow_nearest=False)
    assert chosen.path == path
    assert warning is None


def test_missing_version_is_refused_naming_the_installed_ones() -> None:
    with pytest.raises(ValidationError) as caught:
        select_python("3.10", AVAILABLE, allow_nearest=False)
    assert "Python 3.10 is not installed" in caught.value.message
    assert "3.12.1, 3.11.7, 3.11.2, 3.9.18" in caught.value.message


@pytest.mark.parametrize(("requested", "path"), [("3.10", "/py/3.11.7"), ("3.8", "/py/3.9.18")])
def test_nearest_version_on_request_with_a_warning(requested: str, path: str) -> None:
    chosen, warning = select_python(requested, AVAILABLE, allow_nearest=True)
    assert chosen.path == path
    assert warning is not None and f"Python {requested} is not installed" in warning


def test_nothing_installed_is_refused_even_with_nearest() -> None:
    with pytest.raises(ValidationError, match="installed: none"):
        select_python("3.11", [], allow_nearest=True)
