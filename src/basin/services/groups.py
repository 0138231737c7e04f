"""Resource groups: create (idempotent, as ``az group create``), show, list, delete (cascading)."""

from __future__ import annotations

from basin.entities import ResourceGroup
from basin.errors import NotFoundError, ValidationError
from basin.ids import resource_group_id, validate_name
from basin.services import cascade
from basin.services._resources import from_stored, to_stored
from basin.services.platform import Platform

__all__ = ["create", "delete", "get", "list_all", "require_group"]

TYPE = ResourceGroup.resource_type


def _entity(platform: Platform, name: str, location: str, tags: dict[str, str]) -> ResourceGroup:
    return ResourceGroup(
        id=resource_group_id(platform.subscription_id, name),
        name=name,
        type=TYPE,
        location=location,
        tags=tags,
        provisioning_state="Succeeded",
    )


def create(
    platform: Platform, name: str, location: str | None = None, tags: dict[str, str] | None = None
) -> ResourceGroup:
    validate_name("resource group", name)
    rid = resource_group_id(platform.subscription_id, name)
    with platform.store.transaction() as tx:
        existing = tx.get(rid)
        if existing is not None:
            group = from_stored(ResourceGroup, existing)
            if location and group.location and location.lower() != group.location.lower():
                raise ValidationError(
                    f"Resource group '{group.name}' already exists in location '{group.location}'; "
                    f"it cannot move to '{location}'."
                )
            if tags is not None:
                group.tags = tags
                existing.body = to_stored(group, rid, TYPE).body
                tx.update(existing)
            return group
        group = _entity(platform, name, location or platform.location, tags or {})
        tx.insert(to_stored(group, rid, TYPE))
        return group


def require_group(platform: Platform, name: str) -> ResourceGroup:
    stored = platform.store.get(resource_group_id(platform.subscription_id, name))
    if stored is None or stored.type != TYPE:
        raise NotFoundError(
            f"Resource group '{name}' could not be found. Create it with: basin group create -n {name}"
        )
    return from_stored(ResourceGroup, stored)


def get(platform: Platform, name: str) -> ResourceGroup:
    return require_group(platform, name)


def list_all(platform: Platform) -> list[ResourceGroup]:
    rows = platform.store.list(type=TYPE, subscription_id=platform.subscription_id)
    return [from_stored(ResourceGroup, row) for row in rows]


def delete(platform: Platform, name: str) -> int:
    """Delete the group and everything in it (soft-deleted workspaces too) and everything they
    own wherever it lives (principals, their role assignments, replicas, blob data); return
    how many resources went."""
    require_group(platform, name)
    return len(
        cascade.delete(platform, resource_group_id(platform.subscription_id, name)).resources
    )
