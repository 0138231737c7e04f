"""``--ids``: full resource ids in place of ``-n``/``-g``/``-w``/``-e``, as az takes them.

az accepts one or more ids separated by spaces or new lines (what ``-o tsv --query [].id``
prints), runs the command once per id and prints a list when there were several.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from basin.errors import ValidationError
from basin.ids import ResourceId

__all__ = ["KINDS", "each", "targets"]

#: kind -> (type path after the provider namespace, what its names are). A resource group
#: has no provider part.
KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "group": ((), ("name",)),
    "workspace": (("workspaces",), ("name",)),
    "storage account": (("storageAccounts",), ("name",)),
    "identity": (("userAssignedIdentities",), ("name",)),
    "endpoint": (("workspaces", "onlineEndpoints"), ("workspace", "name")),
    "deployment": (
        ("workspaces", "onlineEndpoints", "deployments"),
        ("workspace", "endpoint", "name"),
    ),
    "model": (("workspaces", "models", "versions"), ("workspace", "name", "version")),
    "environment": (("workspaces", "environments", "versions"), ("workspace", "name", "version")),
    "connection": (("workspaces", "connections"), ("workspace", "name")),
}
#: The flag that names each field, for errors.
FLAGS = {
    "name": "--name",
    "workspace": "--workspace-name",
    "endpoint": "--endpoint-name",
    "version": "--version",
}

Target = dict[str, Any]


def _expand(ids: list[str]) -> list[str]:
    found: list[str] = []
    for value in ids:
        found.extend(part for part in value.split() if part)
    return found


def _parse(value: str, kind: str) -> Target:
    types, fields = KINDS[kind]
    parsed = ResourceId.parse(value)
    if not types:
        if parsed.resource_group is None or parsed.provider is not None:
            raise ValidationError(f"--ids '{value}' is not the id of a resource group.")
        return {"group": parsed.resource_group, "name": parsed.resource_group}
    if tuple(t.lower() for t in parsed.types) != tuple(t.lower() for t in types):
        shape = "/".join(f"{t}/<name>" for t in types)
        raise ValidationError(
            f"--ids '{value}' is not the id of a {kind} (expected …/providers/<namespace>/{shape})."
        )
    return {"group": parsed.resource_group, **dict(zip(fields, parsed.names, strict=True))}


def targets(
    ids: list[str] | None, kind: str, *, required: tuple[str, ...] = ("name",), **given: Any
) -> list[Target]:
    """What to act on: one target per id, or the one the flags name (``given``)."""
    if not ids:
        missing = [FLAGS.get(f, f"--{f}") for f in required if not given.get(f)]
        if missing:
            raise ValidationError(f"({' '.join(missing)} | --ids) are required.")
        return [given]
    result = [_parse(value, kind) for value in _expand(ids)]
    if not result:
        raise ValidationError("--ids needs at least one resource id.")
    return result


def each(found: list[Target], one: Callable[[Target], Any]) -> Any:
    """``one`` for each target: its result, or a list of them when there were several ids."""
    results = [one(target) for target in found]
    return results[0] if len(results) == 1 else results
