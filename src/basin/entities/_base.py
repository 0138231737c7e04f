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
from basin.entities._paths import is_text_path, split_assignment
from basin.errors import ValidationError

__all__ = ["Entity", "apply_overrides", "parse_entity", "read_yaml", "set_path"]

T = TypeVar("T", bound=BaseModel)


class Entity(BaseModel):
    """A resource as a typed value; converts to and from the dicts of YAML files and the API."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, validate_assignment=True)

    def to_dict(self) -> dict[str, Any]:
        """The form shown to users and sent on the wire (Azure field names, no empty values)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML file of one resource; ``$schema`` is accepted and dropped, as az ml does."""
    path = Path(path)
    try:
        # utf-8-sig: editors on Windows save YAML with a byte-order mark, which az ml accepts.
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"File '{path}' is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset "
            f"{exc.start}); save it as UTF-8 and try again."
        ) from None
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
        value = raw if is_text_path(path) else _json_or_text(raw)
        params.append({path: value})
    return params


def _json_or_text(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


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
