"""``MLClient.begin_create_or_update(entity)``: the operations group each entity kind goes to."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from basin.errors import ValidationError
from basin.sdk.poller import BasinPoller

if TYPE_CHECKING:
    from basin.sdk.client import MLClient

__all__ = ["begin_create_or_update"]


def begin_create_or_update(client: MLClient, entity: Any, **kwargs: Any) -> BasinPoller[Any]:
    from basin import entities as e

    if isinstance(entity, e.Workspace):
        return client.workspaces.begin_create(entity, **kwargs)
    if isinstance(entity, e.ManagedOnlineEndpoint):
        return client.online_endpoints.begin_create_or_update(entity, **kwargs)
    if isinstance(entity, e.ManagedOnlineDeployment):
        return client.online_deployments.begin_create_or_update(entity, **kwargs)
    if isinstance(entity, e.Model):
        return BasinPoller.completed(client.models.create_or_update(entity, **kwargs))
    if isinstance(entity, e.Environment):
        return BasinPoller.completed(client.environments.create_or_update(entity, **kwargs))
    if isinstance(entity, e.WorkspaceConnection):
        return BasinPoller.completed(client.connections.create_or_update(entity, **kwargs))
    if isinstance(entity, e.ResourceGroup):
        return BasinPoller.completed(client.resource_groups.create_or_update(entity))
    if isinstance(entity, e.StorageAccount):
        return client.storage_accounts.begin_create(
            entity.name,
            resource_group=entity.resource_group,
            tags=entity.tags,
            location=entity.location,
        )
    if isinstance(entity, e.ManagedIdentityResource):
        return client.identities.begin_create(
            entity.name,
            resource_group=entity.resource_group,
            tags=entity.tags,
            location=entity.location,
        )
    kinds = (
        "Workspace, ManagedOnlineEndpoint, ManagedOnlineDeployment, Model, Environment, "
        "WorkspaceConnection, ResourceGroup, StorageAccount, ManagedIdentityResource"
    )
    raise ValidationError(
        f"begin_create_or_update does not take a {type(entity).__name__}: basin creates {kinds}."
    )
