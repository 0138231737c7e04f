"""The other dependent resources of a workspace: registry, key vault and monitoring sink."""

from __future__ import annotations

import uuid
from typing import TypeVar

from basin.entities import ApplicationInsights, ArmResource, ContainerRegistry, KeyVault, vault_uri
from basin.errors import ConflictError
from basin.ids import resource_id, validate_name
from basin.services._resources import to_stored
from basin.services.platform import Platform
from basin.store import Transaction

__all__ = ["KINDS", "insert_new"]

A = TypeVar("A", bound=ArmResource)

#: entity class -> the naming-rule kind of ids.NAME_RULES
KINDS: dict[type[ArmResource], str] = {
    ContainerRegistry: "container registry",
    KeyVault: "key vault",
    ApplicationInsights: "application insights",
}


def _details(platform: Platform, cls: type[ArmResource], name: str) -> dict[str, str]:
    if cls is ContainerRegistry:
        return {"login_server": f"{platform.api_endpoint}/registries/{name}"}
    if cls is KeyVault:
        return {"vault_uri": vault_uri(name), "tenant_id": platform.installation.tenant_id}
    if cls is ApplicationInsights:
        key = str(uuid.uuid4())
        return {
            "instrumentation_key": key,
            "connection_string": f"InstrumentationKey={key};IngestionEndpoint={platform.api_endpoint}/",
        }
    return {}


def insert_new(
    platform: Platform,
    tx: Transaction,
    cls: type[A],
    group: str,
    name: str,
    location: str | None = None,
) -> A:
    """Create one dependent resource inside an open transaction (in ``location``, the
    workspace's group's, as Azure places them)."""
    validate_name(KINDS[cls], name)
    type_ = cls.resource_type  # type: ignore[attr-defined]
    if any(row.name.lower() == name.lower() for row in tx.list(type=type_)):
        raise ConflictError(f"The {KINDS[cls]} name '{name}' is already taken; choose another.")
    rid = resource_id(platform.subscription_id, group, type_, name)
    entity = cls(
        id=rid,
        name=name,
        type=type_,
        location=location or platform.location,
        resource_group=group,
        provisioning_state="Succeeded",
        **_details(platform, cls, name),
    )
    tx.insert(to_stored(entity, rid, type_))
    return entity
