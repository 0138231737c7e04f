"""Deleting a resource deletes everything that exists because of it, from one place.

What a resource owns records its owner where it lives (``owner`` on a principal or a stored
resource): the system-assigned identity of a workspace or an endpoint, the principal of a
user-assigned identity, the role assignments those principals hold at any scope, the MSI
bindings of a deployment's replicas. ``remove`` deletes, inside the caller's transaction, a
resource, every resource under its id, their secrets, and everything any of them owns, wherever
it lives; the effects outside the store that each resource type registers (a storage account's
blob data, an endpoint's replicas) run once the transaction has committed.

Parents no longer hand-write their children's clean-up: a group, a workspace purge, an
endpoint, an identity and a storage account all go through ``remove``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from basin.entities import RoleAssignment
from basin.store import StoredResource, Transaction

if TYPE_CHECKING:
    from basin.services.platform import Platform

__all__ = ["Cascade", "Removal", "delete", "remove", "standard_cascade"]

#: Runs after the commit for each deleted resource of the type it was registered for.
Effect = Callable[["Platform", StoredResource], None]


class Cascade:
    """The registry of effects outside the store, by resource type (on ``Platform.cascade``)."""

    def __init__(self) -> None:
        self._effects: dict[str, list[Effect]] = {}

    def after_delete(self, resource_type: str, effect: Effect) -> None:
        """Run ``effect(platform, resource)`` after a resource of this type is deleted."""
        self._effects.setdefault(resource_type.lower(), []).append(effect)

    def effects(self, resource_type: str) -> list[Effect]:
        return self._effects.get(resource_type.lower(), [])


@dataclass
class Removal:
    """What ``remove`` deleted; ``finish()`` runs the effects once the transaction committed."""

    platform: Platform
    resources: list[StoredResource] = field(default_factory=list)
    principals: list[str] = field(default_factory=list)

    def __iadd__(self, other: Removal) -> Removal:
        self.resources += other.resources
        self.principals += other.principals
        return self

    def finish(self) -> None:
        for resource in self.resources:
            for effect in self.platform.cascade.effects(resource.type):
                effect(self.platform, resource)


def remove(platform: Platform, tx: Transaction, root_id: str) -> Removal:
    """Delete ``root_id``, what lies under it and what any of that owns (call ``finish()`` on
    the result after the commit)."""
    removal = Removal(platform)
    gone = [row for row in (tx.get(root_id, include_deleted=True),) if row is not None]
    gone += tx.list(under=root_id, include_deleted=True)
    owned_resources = tx.list(owned_under=root_id, include_deleted=True)
    owned_principals = {p.object_id for p in tx.list_principals(owned_under=root_id)}
    # Assignments held by a principal that goes, wherever they are (also ones made before
    # owners were recorded).
    if owned_principals:
        owned_resources += [
            row
            for row in tx.list(type=RoleAssignment.resource_type)
            if row.body.get("principalId") in owned_principals
        ]
    for row in owned_resources:
        tx.delete_under(row.id)
    for object_id in owned_principals:
        tx.delete_principal(object_id)
    tx.delete_secrets(root_id)
    tx.delete_under(root_id)
    seen: set[str] = set()
    for row in [*gone, *owned_resources]:
        if row.id.lower() not in seen:
            seen.add(row.id.lower())
            removal.resources.append(row)
    removal.principals = sorted(owned_principals)
    return removal


def delete(platform: Platform, root_id: str) -> Removal:
    """``remove`` in a transaction of its own, then its effects."""
    with platform.store.transaction() as tx:
        removal = remove(platform, tx, root_id)
    removal.finish()
    return removal


def standard_cascade() -> Cascade:
    """The effects of basin's resource types (what ``Platform`` starts with)."""
    from basin.services import deployments, endpoints, storage_accounts

    cascade = Cascade()
    for module in (storage_accounts, endpoints, deployments):
        module.register_cascade(cascade)
    return cascade
