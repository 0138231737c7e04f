"""az's generic update arguments (``--set``, ``--add``, ``--remove``, ``--force-string``) over a
resource as the server shows it, applied in the order they were given, as ``az`` does.

- ``--set path=value [path=value ...]``: set a field; a missing mapping on the way is made, a
  list item is addressed by ``[index]`` or ``[key=value]``.
- ``--add path value [value ...]``: append to the list at ``path`` (made if missing); a run of
  ``key=value`` items becomes one object, any other item is appended as JSON (or text).
- ``--remove path [index]``: delete a field, or the item at ``index`` of the list at ``path``.

Values are parsed as JSON where they can be (``3``, ``true``, ``{"a": 1}``), else kept as text;
``--force-string`` keeps them all as text.
"""

from __future__ import annotations

import json
from typing import Any

from basin.entities._paths import Segment, is_text_path, split_assignment, split_path
from basin.errors import ValidationError

__all__ = ["apply_generic_update"]


def _value(raw: str, force_string: bool) -> Any:
    if force_string:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _describe(segments: list[Segment]) -> str:
    text = ""
    for segment in segments:
        if isinstance(segment, int):
            text += f"[{segment}]"
        elif isinstance(segment, tuple):
            text += f"[{segment[0]}={segment[1]}]"
        else:
            text += f".{segment}" if text else segment
    return text or "(the resource)"


def _step(node: Any, segment: Segment, done: list[Segment]) -> Any:
    where = _describe(done)
    if isinstance(segment, str):
        if not isinstance(node, dict):
            raise ValidationError(f"Couldn't find '{segment}' in '{where}': it is not a mapping.")
        if segment not in node:
            options = ", ".join(sorted(map(str, node))) or "none"
            raise ValidationError(
                f"Couldn't find '{segment}' in '{where}'. Available options: {options}."
            )
        return node[segment]
    if not isinstance(node, list):
        raise ValidationError(f"'{where}' is not a list: it cannot be indexed.")
    if isinstance(segment, int):
        try:
            return node[segment]
        except IndexError:
            raise ValidationError(
                f"Index {segment} doesn't exist on '{where}' (it has {len(node)} items)."
            ) from None
    key, value = segment
    found = [item for item in node if isinstance(item, dict) and str(item.get(key)) == value]
    if len(found) != 1:
        raise ValidationError(
            f"[{key}={value}] matches {len(found)} items of '{where}'; it must match exactly one."
        )
    return found[0]


def _find(data: Any, segments: list[Segment], *, make: bool) -> Any:
    """The node at ``segments``; with ``make``, missing mapping keys become empty mappings."""
    node = data
    for i, segment in enumerate(segments):
        if (
            make
            and isinstance(segment, str)
            and isinstance(node, dict)
            and node.get(segment) is None
        ):
            node[segment] = {}
        node = _step(node, segment, segments[:i])
    return node


def _set(data: dict[str, Any], item: str, force_string: bool) -> None:
    path, raw = split_assignment(item)
    segments = split_path(path)
    parent = _find(data, segments[:-1], make=True)
    last = segments[-1]
    value = _value(raw, force_string or is_text_path(path))
    if isinstance(last, str) and isinstance(parent, dict):
        parent[last] = value
    elif isinstance(last, int) and isinstance(parent, list):
        try:
            parent[last] = value
        except IndexError:
            raise ValidationError(
                f"Index {last} doesn't exist on '{_describe(segments[:-1])}' "
                f"(it has {len(parent)} items); use --add to append."
            ) from None
    else:
        raise ValidationError(f"--set '{item}': '{path}' cannot be set.")


def _add(data: dict[str, Any], values: list[str], force_string: bool) -> None:
    if len(values) < 2:
        raise ValidationError("--add takes a list's path and one or more values: --add path k=v.")
    segments = split_path(values[0])
    parent = _find(data, segments[:-1], make=True)
    last = segments[-1]
    if isinstance(parent, dict) and isinstance(last, str) and parent.get(last) is None:
        parent[last] = []
    target = _step(parent, last, segments[:-1])
    if not isinstance(target, list):
        raise ValidationError(f"--add: '{values[0]}' is not a list (use --set for other fields).")
    entry: dict[str, Any] = {}
    for value in values[1:]:
        key, eq, rest = value.partition("=")
        if eq and key:
            entry[key] = rest
            continue
        if entry:
            target.append(entry)
            entry = {}
        target.append(_value(value, force_string))
    if entry:
        target.append(entry)


def _remove(data: dict[str, Any], values: list[str]) -> None:
    if not 1 <= len(values) <= 2:
        raise ValidationError("--remove takes a path, or a list's path and an index.")
    segments = split_path(values[0])
    if len(values) == 2:
        target = _find(data, segments, make=False)
        if not isinstance(target, list):
            raise ValidationError(f"--remove: '{values[0]}' is not a list.")
        try:
            target.pop(int(values[1]))
        except ValueError:
            raise ValidationError(f"--remove: '{values[1]}' is not an index.") from None
        except IndexError:
            raise ValidationError(
                f"--remove: index {values[1]} doesn't exist on '{values[0]}'."
            ) from None
        return
    parent = _find(data, segments[:-1], make=False)
    last = segments[-1]
    if isinstance(parent, dict) and isinstance(last, str) and last in parent:
        del parent[last]
    elif isinstance(parent, list) and isinstance(last, int):
        _step(parent, last, segments[:-1])
        parent.pop(last)
    else:
        _step(parent, last, segments[:-1])  # says what is there
        raise ValidationError(f"--remove: '{values[0]}' cannot be removed.")


def apply_generic_update(
    data: dict[str, Any], operations: list[tuple[str, list[str]]], *, force_string: bool = False
) -> dict[str, Any]:
    """Apply ``[("--set", [...]), ("--add", [...]), ("--remove", [...])]`` to ``data``, in order."""
    for flag, values in operations:
        if flag == "--set":
            for item in values:
                _set(data, item, force_string)
        elif flag == "--add":
            _add(data, values, force_string)
        elif flag == "--remove":
            _remove(data, values)
    return data
