"""``load_<entity>(source, params_override=...)``: azure-ai-ml's YAML loaders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from basin.entities import Workspace, parse_entity, read_yaml, set_path

__all__ = ["load_workspace"]


def _load(source: str | Path, params_override: list[dict[str, Any]] | None) -> dict[str, Any]:
    # azure-ai-ml takes params_override=[{"path.to.field": value}, ...]
    data = read_yaml(source)
    for mapping in params_override or []:
        for path, value in mapping.items():
            set_path(data, path, value)
    return data


def load_workspace(
    source: str | Path, *, params_override: list[dict[str, Any]] | None = None
) -> Workspace:
    data = _load(source, params_override)
    return parse_entity(Workspace, data, source=f"workspace file '{source}'")
