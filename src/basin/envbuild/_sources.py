"""From what a user writes (conda file or requirements.txt, plus an image) to a spec."""

from __future__ import annotations

import platform
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._bases import CURATED_BASES, CuratedBase, resolve_image
from ._conda import parse_conda_file
from ._requirements import parse_requirement_lines
from ._spec import EnvironmentSpec

__all__ = ["ParsedEnvironment", "default_python", "spec_from_conda", "spec_from_requirements"]


@dataclass(frozen=True)
class ParsedEnvironment:
    """A spec plus the notes a user should see (renames, ignored channels, image mapping)."""

    spec: EnvironmentSpec
    notes: tuple[str, ...] = ()


def default_python() -> str:
    """The X.Y of the interpreter basin runs on: certainly installed here."""
    major, minor, _ = platform.python_version_tuple()
    return f"{major}.{minor}"


def spec_from_conda(
    source: str | Mapping[str, Any],
    *,
    image: str | None = None,
    base_dir: Path | None = None,
    python: str | None = None,
    bases: Mapping[str, CuratedBase] = CURATED_BASES,
) -> ParsedEnvironment:
    """Spec for a conda file on an image. ``python`` is the default when the file has none."""
    base, notes = resolve_image(image, bases)
    conda = parse_conda_file(source, base_dir=base_dir)
    chosen = conda.python or python or default_python()
    if conda.python is None:
        notes.append(f"the conda file does not pin python; using Python {chosen}")
    spec = EnvironmentSpec(
        python=chosen,
        requirements=tuple(conda.requirements),
        index=conda.index,
        base=base.name,
        base_requirements=base.requirements,
    )
    return ParsedEnvironment(spec, tuple(notes + conda.notes))


def spec_from_requirements(
    text: str,
    *,
    image: str | None = None,
    base_dir: Path | None = None,
    python: str | None = None,
    bases: Mapping[str, CuratedBase] = CURATED_BASES,
) -> ParsedEnvironment:
    """Spec for a requirements.txt on an image."""
    base, notes = resolve_image(image, bases)
    parsed = parse_requirement_lines(text, where="requirements file", base_dir=base_dir)
    spec = EnvironmentSpec(
        python=python or default_python(),
        requirements=tuple(parsed.requirements),
        index=parsed.index,
        base=base.name,
        base_requirements=base.requirements,
    )
    return ParsedEnvironment(spec, tuple(notes))
