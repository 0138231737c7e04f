"""The base of every entity: strict pydantic models with YAML load/dump (no I/O beyond reading a file).

Unknown fields and bad values are refused with the field path, the rule and the allowed values.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

import pydantic
from pydantic import BaseModel, ConfigDict

from basin.entities import _paths
from basin.entities._paths import split_assignment
from basin.errors import ValidationError

__all__ = ["Entity", "apply_overrides", "parse_entity", "read_yaml", "set_path"]

T = TypeVar("T", bound=BaseModel)


class Entity(BaseModel):
    """A resource as a typed value; converts to and from the dicts of YAML files and the API."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, validate_assignment=True)

    @pydantic.model_validator(mode="before")
    @classmethod
    def _text_maps(cls, data: Any) -> Any:
        """Text-valued maps (tags, properties) take ``--set tags.a=1`` and YAML's ``a: 1`` as
        the text ``"1"``, as Azure keeps them."""
        if not isinstance(data, dict):
            return data
        fixed = None
        for name, field in cls.model_fields.items():
            if field.annotation != dict[str, str]:
                continue
            for key in {name, field.alias or name}:
                value = data.get(key)
                if isinstance(value, dict) and any(
                    isinstance(v, int | float | bool) for v in value.values()
                ):
                    fixed = dict(data) if fixed is None else fixed
                    fixed[key] = {k: _text(v) for k, v in value.items()}
        return data if fixed is None else fixed

    def to_dict(self) -> dict[str, Any]:
        """The form shown to users and sent on the wire (Azure field names, no empty values)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def _text(value: Any) -> Any:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value) if isinstance(value, int | float) else value


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML file of one resource; ``$schema`` is accepted and dropped, as az ml does."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationError(f"File '{path}' does not exist.") from None
    except OSError as exc:
        raise ValidationError(f"File '{path}' cannot be read: {exc.strerror}.") from None
    import yaml  # here, not at the top: most commands never read a file

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        problem = getattr(exc, "problem", None) or "invalid syntax"
        raise ValidationError(f"File '{path}' is not valid YAML{at}: {problem}.") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValidationError(
            f"File '{path}' must hold a mapping of fields (name: value), not a "
            f"{type(data).__name__}."
        )
    data.pop("$schema", None)
    return data


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``data["a"]["b"] = value`` for ``path`` ``a.b`` (``a[0].b`` too), making the
    mappings and list items on the way, as azure-ai-ml's ``params_override`` does."""
    _paths.set_path(data, path, value)


def parse_overrides(overrides: list[str] | None) -> list[dict[str, Any]]:
    """az-style ``--set path.to.field=value`` items as ``params_override`` mappings.

    As in az, a value that parses as JSON (``true``, ``3``, ``{"a": 1}``) is taken as such and
    anything else as a string.
    """
    params: list[dict[str, Any]] = []
    for item in overrides or []:
        path, raw = split_assignment(item)
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        params.append({path: value})
    return params


def apply_params(data: dict[str, Any], params: list[dict[str, Any]]) -> dict[str, Any]:
    """Apply ``params_override`` mappings (``{"path.to.field": value}``) to ``data``, in order."""
    for mapping in params:
        for path, value in mapping.items():
            set_path(data, path, value)
    return data


def apply_overrides(data: dict[str, Any], overrides: list[str] | None) -> dict[str, Any]:
    """Apply az-style ``--set path.to.field=value`` overrides (see ``parse_overrides``)."""
    return apply_params(data, parse_overrides(overrides))


def _describe(error: Any) -> str:
    loc = ".".join(str(p) for p in error["loc"]) or "(document)"
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"'{loc}' is not a known field"
    if kind == "missing":
        return f"'{loc}' is required"
    return f"'{loc}': {error['msg']}"


def parse_entity(cls: type[T], data: Any, *, source: str = "input") -> T:
    """Validate ``data`` into ``cls`` or raise ValidationError naming every bad field."""
    try:
        return cls.model_validate(data)
    except pydantic.ValidationError as exc:
        problems = [_describe(e) for e in exc.errors()]
        extra = [e for e in exc.errors() if e["type"] == "extra_forbidden"]
        hint = ""
        if extra:
            known = sorted(f.alias or name for name, f in cls.model_fields.items() if not f.exclude)
            hint = f" Known fields: {', '.join(known)}."
        raise ValidationError(f"Invalid {source}: " + "; ".join(problems) + "." + hint) from None
