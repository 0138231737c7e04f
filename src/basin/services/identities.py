"""User-assigned managed identities: the resource and the principal behind it."""

from __future__ import annotations

import uuid

from basin.entities import ManagedIdentityResource
from basin.ids import resource_id, validate_name
from basin.services import cascade, groups
from basin.services._resources import from_stored, replace_tags, require, to_stored
from basin.services.platform import Platform
from basin.store import Principal

__all__ = ["create", "delete", "get", "get_by_id", "list_identities", "set_tags"]

TYPE = ManagedIdentityResource.resource_type


def _id(platform: Platform, group: str, name: str) -> str:
    return resource_id(platform.subscription_id, group, TYPE, name)


def create(
    platform: Platform,
    group: str,
    name: str,
    tags: dict[str, str] | None = None,
    location: str | None = None,
) -> ManagedIdentityResource:
    """A new identity, in its group's location unless another is given (as in Azure)."""
    validate_name("managed identity", name)
    rg = groups.require_group(platform, group)
    rid = _id(platform, group, name)
    identity = ManagedIdentityResource(
        id=rid,
        name=name,
        type=TYPE,
        location=location or rg.location,
        resource_group=group,
        tags=tags or {},
        principal_id=str(uuid.uuid4()),
        client_id=str(uuid.uuid4()),
        tenant_id=platform.installation.tenant_id,
    )
    with platform.store.transaction() as tx:
        tx.insert(to_stored(identity, rid, TYPE))
        assert identity.principal_id and identity.client_id
        tx.put_principal(
            Principal(identity.principal_id, "ManagedIdentity", name, identity.client_id, owner=rid)
        )
    return identity


def set_tags(
    platform: Platform, group: str, name: str, tags: dict[str, str]
) -> ManagedIdentityResource:
    """Replace an identity's tags (its principal stays)."""
    rid = _id(platform, group, name)
    return replace_tags(
        platform.store, rid, ManagedIdentityResource, TYPE, "Managed identity", tags
    )


def get(platform: Platform, group: str, name: str) -> ManagedIdentityResource:
    return get_by_id(platform, _id(platform, group, name))


def get_by_id(platform: Platform, identity_id: str) -> ManagedIdentityResource:
    stored = require(platform.store, identity_id, TYPE, "Managed identity")
    return from_stored(ManagedIdentityResource, stored)


def list_identities(platform: Platform, group: str | None = None) -> list[ManagedIdentityResource]:
    rows = platform.store.list(
        type=TYPE, subscription_id=platform.subscription_id, resource_group=group
    )
    return [from_stored(ManagedIdentityResource, row) for row in rows]


def delete(platform: Platform, group: str, name: str) -> None:
    """Delete the identity, its principal and its role assignments."""
    identity = get(platform, group, name)
    assert identity.id
    cascade.delete(platform, identity.id)
