"""Field paths as az and azure-ai-ml write them: ``a.b``, ``list[0].field``, ``list[name=x]``.

``set_path`` is ``params_override`` (azure-ai-ml sets such paths with pydash: missing mappings
and list items are made on the way), used by ``--set`` on create and by the loaders.
"""

from __future__ import annotations

import re
from typing import Any

from basin.errors import ValidationError

__all__ = ["TEXT_MAPS", "Segment", "is_text_path", "set_path", "split_assignment", "split_path"]

#: A mapping key, a list index, or a ``(key, value)`` filter selecting one item of a list.
Segment = str | int | tuple[str, str]

#: Fields whose values are text whatever they look like: ``--set tags.a=1`` sets the text
#: "1", as az passes it (a YAML file's ``a: 1`` there is refused, as azure-ai-ml refuses it).
TEXT_MAPS = ("tags", "properties", "environment_variables")


def is_text_path(path: str) -> bool:
    return path.split(".", 1)[0].split("[", 1)[0] in TEXT_MAPS and "." in path


_SEGMENT = re.compile(r"\[([^\]]*)\]|([^.\[\]]+)")


def split_path(path: str) -> list[Segment]:
    """``identity.user_assigned_identities[0].resource_id`` -> ``[..., 0, "resource_id"]``."""
    segments: list[Segment] = []
    position = 0
    for match in _SEGMENT.finditer(path):
        between = path[position : match.start()]
        if between not in ("", "."):
            raise ValidationError(f"'{path}' is not a field path (e.g. a.b[0].c).")
        position = match.end()
        bracket, key = match.groups()
        if key is not None:
            segments.append(key)
        elif bracket is not None and re.fullmatch(r"-?\d+", bracket.strip()):
            segments.append(int(bracket))
        elif bracket and "=" in bracket:
            name, _, value = bracket.partition("=")
            segments.append((name.strip(), value.strip()))
        else:
            raise ValidationError(
                f"'[{bracket}]' in '{path}' must be a list index ([0]) or a filter ([name=value])."
            )
    if not segments or path[position:] not in ("",):
        raise ValidationError(f"'{path}' is not a field path (e.g. a.b[0].c).")
    return segments


def _matches(item: Any, key: str, value: str) -> bool:
    return isinstance(item, dict) and str(item.get(key)) == value


def _child(node: Any, segment: Segment, next_segment: Segment | None, path: str) -> Any:
    """The child of ``node`` at ``segment``, made (a mapping or a list) if it is missing."""
    fresh: Any = [] if isinstance(next_segment, int | tuple) else {}
    if isinstance(segment, str):
        if not isinstance(node, dict):
            raise ValidationError(f"'{path}': '{segment}' is set inside something not a mapping.")
        child = node.get(segment)
        if not isinstance(child, dict | list):
            child = node[segment] = fresh
        return child
    if not isinstance(node, list):
        raise ValidationError(f"'{path}': an index or filter applies to a list only.")
    if isinstance(segment, tuple):
        found = [item for item in node if _matches(item, *segment)]
        if len(found) != 1:
            raise ValidationError(
                f"'{path}': [{segment[0]}={segment[1]}] matches {len(found)} items, not one."
            )
        return found[0]
    _fill(node, segment, path)
    if not isinstance(node[segment], dict | list):
        node[segment] = fresh
    return node[segment]


def _fill(node: list[Any], index: int, path: str) -> None:
    if index < 0:
        if -index > len(node):
            raise ValidationError(f"'{path}': index {index} is out of range.")
        return
    while len(node) <= index:
        node.append({})


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set the field at ``path`` in ``data``, making missing mappings and list items."""
    segments = split_path(path)
    node: Any = data
    for i, segment in enumerate(segments[:-1]):
        node = _child(node, segment, segments[i + 1], path)
    last = segments[-1]
    if isinstance(last, str):
        if not isinstance(node, dict):
            raise ValidationError(f"'{path}': '{last}' is set inside something not a mapping.")
        node[last] = value
    elif isinstance(last, int):
        if not isinstance(node, list):
            raise ValidationError(f"'{path}': an index applies to a list only.")
        _fill(node, last, path)
        node[last] = value
    else:
        raise ValidationError(f"'{path}' cannot end with a filter; name the field to set.")


def split_assignment(item: str, flag: str = "--set") -> tuple[str, str]:
    """``path=value`` split at the first ``=`` outside brackets (``a[name=x].b=1``), as az does."""
    depth = 0
    for i, char in enumerate(item):
        if char == "[":
            depth += 1
        elif char == "]":
            depth = max(depth - 1, 0)
        elif char == "=" and depth == 0:
            if i == 0:
                break
            return item[:i], item[i + 1 :]
    raise ValidationError(f"{flag} '{item}' must have the form path.to.field=value.")
