"""Conversions between entities and the store's generic records, shared by every service."""

from __future__ import annotations

from typing import Any, TypeVar

from basin.entities import Entity, parse_entity
from basin.errors import NotFoundError
from basin.ids import ResourceId
from basin.store import MetadataStore, Reader, StoredResource

__all__ = ["from_stored", "replace_tags", "require", "to_stored"]

E = TypeVar("E", bound=Entity)

# Fields the store keeps in its own columns; copied into the entity on the way out.
_STORE_FIELDS = ("created_at", "deleted_at")


def to_stored(entity: Entity, resource_id: str, type_: str) -> StoredResource:
    parsed = ResourceId.parse(resource_id)
    body: dict[str, Any] = entity.to_dict()
    for key in _STORE_FIELDS:
        body.pop(key, None)
    return StoredResource(
        id=resource_id,
        type=type_,
        name=parsed.name,
        subscription_id=parsed.subscription_id,
        resource_group=parsed.resource_group,
        body=body,
    )


def from_stored(cls: type[E], stored: StoredResource) -> E:
    data = dict(stored.body)
    for key in _STORE_FIELDS:
        if key in cls.model_fields:
            data[key] = getattr(stored, key)
    return parse_entity(cls, data, source=f"stored {cls.__name__}")


def require(
    reader: Reader, resource_id: str, type_: str, what: str, hint: str = ""
) -> StoredResource:
    """The stored resource at ``resource_id`` of ``type_``, or a NotFoundError that says so."""
    stored = reader.get(resource_id)
    if stored is None or stored.type.lower() != type_.lower():
        raise NotFoundError(f"{what} '{resource_id}' was not found.{(' ' + hint) if hint else ''}")
    return stored


def replace_tags(
    store: MetadataStore,
    resource_id: str,
    cls: type[E],
    type_: str,
    what: str,
    tags: dict[str, str],
) -> E:
    """Replace a stored resource's tags (an ARM PUT or PATCH on an existing resource)."""
    with store.transaction() as tx:
        stored = require(tx, resource_id, type_, what)
        entity = from_stored(cls, stored).model_copy(update={"tags": tags})
        stored.body = to_stored(entity, resource_id, type_).body
        return from_stored(cls, tx.update(stored))
