"""Conda environment files (Azure ML shape) translated into PyPI requirements."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from basin.errors import ValidationError

from ._bounds import numpy_bound
from ._pep508 import normalise_requirement
from ._requirements import parse_requirement_lines
from ._spec import IndexOptions

__all__ = ["CondaFile", "parse_conda_file", "translate_conda_dependency"]

# conda name -> PyPI name, where they differ.
CONDA_TO_PYPI: Mapping[str, str] = {
    "pytorch": "torch",
    "pytorch-cpu": "torch",
    "pytorch-gpu": "torch",
    "py-xgboost": "xgboost",
    "py-xgboost-cpu": "xgboost",
    "py-xgboost-gpu": "xgboost",
    "tensorflow-gpu": "tensorflow",
    "py-opencv": "opencv-python",
    "opencv": "opencv-python",
    "matplotlib-base": "matplotlib",
    "msgpack-python": "msgpack",
    "pytables": "tables",
    "pyqt": "PyQt5",
    "python-graphviz": "graphviz",
    "ruamel_yaml": "ruamel.yaml",
}

# Native libraries and conda metapackages: pip wheels bundle what they need instead.
NO_PYPI_COUNTERPART: frozenset[str] = frozenset(
    {
        "_libgcc_mutex",
        "_openmp_mutex",
        "arrow-cpp",
        "blas",
        "bzip2",
        "ca-certificates",
        "cpuonly",
        "cuda",
        "cuda-toolkit",
        "cudatoolkit",
        "cudnn",
        "gcc",
        "gxx",
        "ld_impl_linux-64",
        "libblas",
        "libcblas",
        "libffi",
        "libgcc",
        "libgcc-ng",
        "libgfortran",
        "libgfortran-ng",
        "libgfortran5",
        "libgomp",
        "liblapack",
        "libopenblas",
        "libprotobuf",
        "libstdcxx-ng",
        "libuuid",
        "libzlib",
        "llvm-openmp",
        "make",
        "mkl",
        "mkl-include",
        "mkl_fft",
        "mkl_random",
        "nccl",
        "ncurses",
        "nodejs",
        "openblas",
        "openssl",
        "pytorch-cuda",
        "r-base",
        "readline",
        "sqlite",
        "tk",
        "xz",
        "zlib",
    }
)

_TOP_LEVEL = {"name", "channels", "dependencies", "prefix"}
_DEP = re.compile(r"^(?P<name>[A-Za-z0-9_][A-Za-z0-9_.-]*)\s*(?P<version>.*)$")
_CLAUSE = re.compile(
    r"^(?P<op>==|!=|<=|>=|~=|<|>|=)?\s*(?P<version>[^\s=<>!~,]+)(?:=(?P<build>\S+))?$"
)


class _NoPyPICounterpart(ValidationError):
    """A conda-only package; collected so one message can name them all."""


@dataclass
class CondaFile:
    """What basin takes from a conda file."""

    name: str | None = None
    python: str | None = None
    requirements: list[str] = field(default_factory=list)
    index: IndexOptions = field(default_factory=IndexOptions)
    notes: list[str] = field(default_factory=list)


def _wildcard(version: str) -> str:
    """conda '1.2*' -> PEP 440 '1.2.*'."""
    if version.endswith("*") and not version.endswith(".*"):
        return version[:-1].rstrip(".") + ".*"
    return version


def _translate_version(text: str, *, space_form: bool, where: str) -> tuple[str, list[str]]:
    """A conda version spec -> PEP 440 specifiers, plus notes (dropped build strings)."""
    notes: list[str] = []
    if not text:
        return "", notes
    if "|" in text:
        raise ValidationError(
            f"{where}: 'or' version specs ('|') have no PyPI equivalent; pick one range, "
            "e.g. '>=1.2,<2'"
        )
    clauses = []
    for raw in text.split(","):
        match = _CLAUSE.match(raw.strip())
        if match is None:
            raise ValidationError(
                f"{where}: the version spec {raw.strip()!r} is not understood; use conda's "
                "'name=1.2' (1.2.*), 'name==1.2.3' (exact) or 'name>=1.2,<2'"
            )
        op, version, build = match["op"], _wildcard(match["version"]), match["build"]
        if build:
            notes.append(f"{where}: conda build string {build!r} ignored (no PyPI equivalent)")
        if op in (None, "=") and version.endswith(".*"):
            clauses.append(f"=={version}")
        elif op == "=":
            clauses.append(f"=={version}.*")  # conda '=1.2' means any 1.2.x
        elif op is None:
            # 'name 1.2' (MatchSpec) is exact; 'name=1.2' was handled above.
            if not space_form:
                raise ValidationError(f"{where}: version {version!r} needs an operator such as '='")
            clauses.append(f"=={version}")
        else:
            clauses.append(f"{op}{version}")
    return ",".join(clauses), notes


def _python_version(specifier: str, where: str) -> str | None:
    if not specifier:
        return None
    match = re.fullmatch(r"==(3\.\d+(?:\.\d+)?)(?:\.\*)?", specifier)
    if match is None:
        raise ValidationError(
            f"{where}: python must be pinned to one version such as python=3.11 "
            "(ranges cannot choose the interpreter)"
        )
    return match[1]


def translate_conda_dependency(entry: str) -> tuple[str | None, str | None, list[str]]:
    """One conda dependency -> (PyPI requirement or None, python version or None, notes).

    Raises ValidationError for packages with no PyPI counterpart.
    """
    where = f"conda dependency {entry!r}"
    text = entry.strip()
    if "::" in text:
        text = text.split("::", 1)[1]  # 'conda-forge::numpy' -> 'numpy'
    if "[" in text:
        raise ValidationError(f"{where}: bracket match specs are not supported; write 'name=1.2'")
    parts = text.split()
    space_form = len(parts) > 1 and not re.match(r"^[=<>!~]", parts[1])
    if space_form:
        if len(parts) > 3:
            raise ValidationError(f"{where}: expected 'name [version [build]]'")
        name, version_text = parts[0], parts[1] + (f"={parts[2]}" if len(parts) == 3 else "")
    else:
        match = _DEP.match(text)
        if match is None:
            raise ValidationError(f"{where}: does not start with a package name")
        name, version_text = match["name"], match["version"].replace(" ", "")
    key = name.lower()
    specifier, notes = _translate_version(version_text, space_form=space_form, where=where)
    if key == "python":
        return None, _python_version(specifier, where), notes
    if key == "pip":
        notes.append(f"{where}: not needed (environments are built with uv); skipped")
        return None, None, notes
    if key in NO_PYPI_COUNTERPART:
        raise _NoPyPICounterpart(f"{where}: {name!r} has no PyPI counterpart")
    pypi = CONDA_TO_PYPI.get(key, name)
    if pypi != name:
        notes.append(f"{where}: installed from PyPI as {pypi!r}")
    return normalise_requirement(pypi + specifier, where=where), None, notes


def _load(source: str | Mapping[str, Any], where: str) -> Mapping[str, Any]:
    if isinstance(source, Mapping):
        return source
    try:
        data = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        raise ValidationError(f"{where}: not valid YAML ({exc})") from None
    if not isinstance(data, Mapping):
        raise ValidationError(f"{where}: expected a mapping with 'dependencies'")
    return data


def parse_conda_file(
    source: str | Mapping[str, Any], *, base_dir: Path | None = None, where: str = "conda file"
) -> CondaFile:
    """Read a conda environment file (YAML text or the parsed mapping)."""
    data = _load(source, where)
    unknown = sorted(set(map(str, data)) - _TOP_LEVEL)
    if unknown:
        raise ValidationError(
            f"{where}: unknown field(s) {', '.join(unknown)}; a conda file has name, channels "
            "and dependencies"
        )
    result = CondaFile(name=str(data["name"]) if data.get("name") is not None else None)
    channels = data.get("channels") or []
    if not isinstance(channels, list) or not all(isinstance(c, str) for c in channels):
        raise ValidationError(f"{where}: 'channels' must be a list of channel names")
    if channels:
        result.notes.append(
            f"conda channels ({', '.join(channels)}) are not used: packages come from PyPI or "
            "the feeds named in the pip section"
        )
    dependencies = data.get("dependencies") or []
    if not isinstance(dependencies, list):
        raise ValidationError(f"{where}: 'dependencies' must be a list")
    refused: list[str] = []
    for entry in dependencies:
        if isinstance(entry, Mapping):
            _add_pip_section(result, entry, where, base_dir)
            continue
        if not isinstance(entry, str | int | float):
            raise ValidationError(f"{where}: dependency {entry!r} must be a string or 'pip:'")
        try:
            requirement, python, notes = translate_conda_dependency(str(entry))
        except _NoPyPICounterpart:
            refused.append(str(entry))
            continue
        result.notes.extend(notes)
        if python is not None:
            result.python = python
        if requirement is not None:
            result.requirements.append(requirement)
    if refused:
        raise ValidationError(
            f"{where}: {', '.join(refused)} "
            f"{'has' if len(refused) == 1 else 'have'} no PyPI counterpart (native libraries "
            "and conda metapackages; pip wheels such as torch bundle the CUDA/MKL libraries "
            "they need). Remove them from the conda file."
        )
    bound = numpy_bound(result.requirements)
    if bound is not None:
        result.requirements.append(bound[0])
        result.notes.append(bound[1])
    return result


def _add_pip_section(
    result: CondaFile, entry: Mapping[str, Any], where: str, base_dir: Path | None
) -> None:
    if set(entry) != {"pip"} or not isinstance(entry["pip"], list):
        raise ValidationError(
            f"{where}: the only mapping allowed among dependencies is 'pip:' with a list"
        )
    lines = [str(line) for line in entry["pip"]]
    parsed = parse_requirement_lines(lines, where=f"{where} pip section", base_dir=base_dir)
    result.requirements.extend(parsed.requirements)
    result.index = result.index.merged(parsed.index)
