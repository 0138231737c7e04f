"""What versioned workspace assets (models, environments) share: ids, numbering, references,
latest, listing and archiving. Versions are immutable; numbers are chosen inside a transaction."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from basin.entities import Entity
from basin.errors import ConflictError, NotFoundError, ValidationError
from basin.services._resources import from_stored, to_stored
from basin.services.platform import Platform
from basin.store import Reader

__all__ = [
    "asset_id",
    "get_version",
    "latest",
    "list_assets",
    "next_version",
    "parse_reference",
    "register",
    "set_archived",
]

A = TypeVar("A", bound=Entity)

_REF = re.compile(r"^(?:azureml:)?(?P<name>[^:@/]+)(?::(?P<version>[^:@/]+)|@(?P<label>[^:@/]+))?$")


def asset_id(workspace_id: str, kind: str, name: str, version: str | None = None) -> str:
    """``{workspace}/{kind}/{name}[/versions/{version}]``, e.g. kind ``models``."""
    base = f"{workspace_id}/{kind}/{name}"
    return base if version is None else f"{base}/versions/{version}"


def next_version(reader: Reader, workspace_id: str, kind: str, name: str) -> str:
    """One more than the highest numeric version so far (``"1"`` for the first)."""
    numbers = [
        int(row.body["version"])
        for row in reader.list(under=asset_id(workspace_id, kind, name), include_deleted=True)
        if str(row.body.get("version", "")).isdigit()
    ]
    return str(max(numbers, default=0) + 1)


def parse_reference(reference: str, kind: str) -> tuple[str, str | None, str | None]:
    """``azureml:name:version`` / ``azureml:name@latest`` / ``name:version`` -> (name, version, label)."""
    match = _REF.match(reference.strip())
    if match is None:
        raise ValidationError(
            f"'{reference}' is not a {kind} reference: use azureml:<name>:<version> or "
            "azureml:<name>@latest."
        )
    label = match["label"]
    if label is not None and label != "latest":
        raise ValidationError(f"Unknown label '@{label}' in '{reference}': only @latest exists.")
    return match["name"], match["version"], label


def register(
    platform: Platform,
    workspace_id: str,
    kind: str,
    asset: A,
    finish: Callable[[A, str, str], A],
    what: str,
) -> A:
    """Store a new version of ``asset`` (numbered if it has none); ``finish(asset, version, id)``
    returns the entity to store."""
    name = str(asset.name)  # type: ignore[attr-defined]
    given = getattr(asset, "version", None)
    for _attempt in range(5):
        with platform.store.transaction() as tx:
            version = given or next_version(tx, workspace_id, kind, name)
            rid = asset_id(workspace_id, kind, name, version)
            if tx.get(rid, include_deleted=True) is not None:
                if given:
                    raise ConflictError(
                        f"{what} '{name}' version {version} already exists, and versions cannot "
                        "change: register a new version (leave out the version to get the next "
                        "number)."
                    )
                continue  # someone took this number at the same time: take the next one
            type_: str = type(asset).resource_type  # type: ignore[attr-defined]
            stored = tx.insert(to_stored(finish(asset, version, rid), rid, type_))
            return from_stored(type(asset), stored)
    raise ConflictError(f"Could not number a new version of {what.lower()} '{name}'; retry.")


def _versions(platform: Platform, cls: type[A], workspace_id: str, kind: str, name: str) -> list[A]:
    rows = platform.store.list(type=cls.resource_type, under=asset_id(workspace_id, kind, name))  # type: ignore[attr-defined]
    return [from_stored(cls, row) for row in rows]


def latest(items: list[A], *, include_archived: bool = False) -> A | None:
    candidates = [i for i in items if include_archived or not getattr(i, "archived", False)]
    if not candidates:
        return None
    return max(candidates, key=lambda i: getattr(i, "created_at", None) or 0)


def get_version(
    platform: Platform,
    cls: type[A],
    workspace_id: str,
    kind: str,
    name: str,
    version: str | None,
    what: str,
) -> A:
    """A version, or the latest unarchived one when ``version`` is None."""
    if version is None or version == "latest":
        found = latest(_versions(platform, cls, workspace_id, kind, name))
        if found is None:
            raise NotFoundError(f"{what} '{name}' has no (unarchived) versions.")
        return found
    stored = platform.store.get(asset_id(workspace_id, kind, name, version))
    if stored is None:
        raise NotFoundError(f"{what} '{name}' version {version} was not found.")
    return from_stored(cls, stored)


def list_assets(
    platform: Platform,
    cls: type[A],
    workspace_id: str,
    kind: str,
    name: str | None = None,
    *,
    archived_only: bool = False,
    include_archived: bool = False,
    extra: Callable[[A], dict[str, Any]] | None = None,
) -> list[A]:
    """With a name: its versions; without: the latest version of each (as ``az ml`` lists)."""

    def keep(item: A) -> bool:
        archived = bool(getattr(item, "archived", False))
        return archived if archived_only else (include_archived or not archived)

    if name is not None:
        return [i for i in _versions(platform, cls, workspace_id, kind, name) if keep(i)]
    by_name: dict[str, list[A]] = {}
    for row in platform.store.list(type=cls.resource_type, under=f"{workspace_id}/{kind}"):  # type: ignore[attr-defined]
        item = from_stored(cls, row)
        by_name.setdefault(str(item.name), []).append(item)  # type: ignore[attr-defined]
    result = []
    for items in by_name.values():
        newest = latest([i for i in items if keep(i)], include_archived=True)
        if newest is not None:
            result.append(newest.model_copy(update=extra(newest)) if extra else newest)
    return result


def set_archived(
    platform: Platform,
    type_: str,
    workspace_id: str,
    kind: str,
    name: str,
    version: str | None,
    archived: bool,
    what: str,
) -> None:
    """Archive (hide from lists and @latest) or restore one version, or every version."""
    prefix = asset_id(workspace_id, kind, name)
    with platform.store.transaction() as tx:
        rows = [
            r
            for r in tx.list(type=type_, under=prefix)
            if version is None or r.body.get("version") == version
        ]
        if not rows:
            which = f" version {version}" if version else ""
            raise NotFoundError(f"{what} '{name}'{which} was not found.")
        for row in rows:
            row.body["archived"] = archived
            tx.update(row)
