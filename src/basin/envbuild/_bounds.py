"""Upper bounds conda-forge's packages carry and PyPI's resolution lacks: numpy < 2 for old pins.

A compiled package built against numpy 1 fails to import under numpy 2 ("numpy.dtype size
changed"). conda-forge records the numpy a package was built with (its ``run_exports``), so a
conda file that pins ``scikit-learn=1.2.2`` and leaves numpy free gets a numpy 1 there; on
PyPI the same pins resolve numpy 2 and the environment does not import. The rule applied when a
conda file is translated: if it pins a package of the table below to releases all older than
the first one built for numpy 2, and numpy is free to be 1.x, ``numpy<2`` is added (with a note).
The table names the widely used packages with compiled numpy extensions; it is maintained here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from ._pep508 import canonical_name

__all__ = ["NUMPY2_FIRST_RELEASES", "numpy_bound"]

#: Project -> its first release built against numpy 2 (older releases need numpy < 2).
NUMPY2_FIRST_RELEASES: Mapping[str, str] = {
    "bottleneck": "1.4.0",
    "h5py": "3.11.0",
    "matplotlib": "3.8.4",
    "numba": "0.60.0",
    "numexpr": "2.10.0",
    "onnxruntime": "1.19.0",
    "opencv-python": "4.10.0.84",
    "opencv-python-headless": "4.10.0.84",
    "pandas": "2.2.2",
    "pyarrow": "16.0.0",
    "scikit-image": "0.24.0",
    "scikit-learn": "1.4.2",
    "scipy": "1.13.0",
    "shap": "0.46.0",
    "statsmodels": "0.14.2",
    "tables": "3.10.0",
    "tensorflow": "2.18.0",
    "tensorflow-cpu": "2.18.0",
    "torch": "2.3.0",
    "xgboost": "2.1.0",
}
_NUMPY2 = Version("2")


def _upper_bound(specifiers: SpecifierSet) -> Version | None:
    """The lowest version no release allowed by ``specifiers`` reaches, if they bound it."""
    bounds: list[Version] = []
    for clause in specifiers:
        try:
            version = Version(clause.version.removesuffix(".*"))
        except InvalidVersion:
            continue
        if clause.operator in ("==", "===") and clause.version.endswith(".*"):
            release = list(version.release)
            release[-1] += 1  # '==1.2.*' stays below 1.3
            bounds.append(Version(".".join(map(str, release))))
        elif clause.operator in ("==", "===", "<="):
            bounds.append(Version(f"{version.public}.post999999"))
        elif clause.operator == "<":
            bounds.append(version)
        elif clause.operator == "~=":
            release = list(version.release[:-1])
            release[-1] += 1
            bounds.append(Version(".".join(map(str, release))))
    return min(bounds) if bounds else None


def _old(requirement: Requirement) -> bool:
    first = NUMPY2_FIRST_RELEASES.get(canonical_name(requirement.name))
    if first is None:
        return False
    upper = _upper_bound(requirement.specifier)
    return upper is not None and upper <= Version(first)


def _parse(lines: Iterable[str]) -> list[Requirement]:
    parsed = []
    for line in lines:
        if " @ " in line:
            continue  # a file or URL: its own metadata decides
        try:
            parsed.append(Requirement(re.sub(r";.*$", "", line)))
        except InvalidRequirement:
            continue
    return parsed


def _numpy_majors(specifiers: SpecifierSet) -> set[int]:
    """Which numpy major versions (1, 2) ``specifiers`` allow, judged on a few releases."""
    samples = ("1.21.6", "1.24.4", "1.26.4", "2.0.2", "2.2.6", "2.3.1")
    return {int(v[0]) for v in samples if specifiers.contains(v, prereleases=True)}


def numpy_bound(requirements: Sequence[str]) -> tuple[str, str] | None:
    """``("numpy<2", note)`` when the rule applies to these requirement lines, else None."""
    parsed = _parse(requirements)
    for requirement in parsed:
        if canonical_name(requirement.name) == "numpy" and _numpy_majors(requirement.specifier) != {
            1,
            2,
        }:
            return None  # numpy is pinned: to 1.x already, or to 2.x by choice
    old = [str(r) for r in parsed if _old(r)]
    if not old:
        return None
    return "numpy<2", (
        f"numpy<2 added: {', '.join(old)} {'was' if len(old) == 1 else 'were'} built before "
        "numpy 2 and would not import with it (conda-forge's packages carry this bound)"
    )
