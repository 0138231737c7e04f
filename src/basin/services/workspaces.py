"""Workspaces: create with dependent resources, show, list, update, keys, soft delete and recover."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

from basin.entities import (
    ApplicationInsights,
    ArmResource,
    ContainerRegistry,
    KeyVault,
    ManagedOnlineEndpoint,
    StorageAccount,
    Workspace,
    WorkspaceKeys,
    parse_entity,
)
from basin.entities.workspace import WorkspaceIdentity
from basin.errors import ConflictError, ImmutableFieldError, NotFoundError, ValidationError
from basin.ids import ResourceId, generated_name, resource_id, validate_name
from basin.services import cascade, dependents, groups, storage_accounts
from basin.services._resources import from_stored, to_stored
from basin.services.platform import Platform
from basin.store import Principal, Transaction

__all__ = [
    "RETENTION",
    "create",
    "delete",
    "get",
    "list_keys",
    "list_workspaces",
    "purge_expired",
    "recover",
    "sync_keys",
    "update",
    "workspace_id",
]

TYPE = Workspace.resource_type
RETENTION = timedelta(days=14)
STORAGE_KEY_SECRET = "user-storage-key"

#: Workspace field -> (entity class of the dependent resource, naming-rule kind)
_DEPENDENTS: dict[str, tuple[type[ArmResource], str]] = {
    "storage_account": (StorageAccount, "storage account"),
    "container_registry": (ContainerRegistry, "container registry"),
    "key_vault": (KeyVault, "key vault"),
    "application_insights": (ApplicationInsights, "application insights"),
}
_UPDATABLE = ("description", "display_name", "tags", "public_network_access", "image_build_compute")


def workspace_id(platform: Platform, group: str, name: str) -> str:
    return resource_id(platform.subscription_id, group, TYPE, name)


def _check_existing_dependent(tx: Transaction, field: str, value: str) -> None:
    cls, kind = _DEPENDENTS[field]
    type_ = cls.resource_type  # type: ignore[attr-defined]
    try:
        parsed = ResourceId.parse(value)
    except ValidationError:
        raise ValidationError(
            f"'{field}' must be the resource id of an existing {kind} "
            f"(/subscriptions/…/providers/{type_}/<name>), not '{value}'."
        ) from None
    if parsed.type.lower() != type_.lower():
        raise ValidationError(
            f"'{field}' must name a {kind} ({type_}), but '{value}' is a {parsed.type}."
        )
    stored = tx.get(value)
    if stored is None or stored.type.lower() != type_.lower():
        raise NotFoundError(f"The {kind} '{value}' given as '{field}' does not exist.")


def _cache_storage_key(platform: Platform, tx: Transaction, ws_id: str, account_id: str) -> None:
    key = platform.vault.get(tx, account_id, storage_accounts.KEY_NAMES[0])
    if key is not None:
        platform.vault.put(tx, ws_id, STORAGE_KEY_SECRET, key)


def create(platform: Platform, group: str, workspace: Workspace) -> Workspace:
    """Create the workspace and the dependent resources it was not given, all or nothing."""
    validate_name("workspace", workspace.name)
    rg = groups.require_group(platform, group)
    ws_id = workspace_id(platform, group, workspace.name)
    if workspace.location and rg.location and workspace.location.lower() != rg.location.lower():
        raise ValidationError(
            f"'location' is '{workspace.location}', but this installation's resources live in "
            f"'{rg.location}': leave it out or use '{rg.location}'."
        )
    with platform.store.transaction() as tx:
        existing = tx.get(ws_id, include_deleted=True)
        if existing is not None:
            if existing.deleted_at is not None:
                raise ConflictError(
                    f"Workspace '{workspace.name}' is soft-deleted and keeps its name until it is "
                    f"purged: recover it with 'basin workspace recover -n {workspace.name} -g "
                    f"{group}', or purge it with 'basin workspace delete -n {workspace.name} -g "
                    f"{group} --permanently-delete'."
                )
            raise ConflictError(f"Workspace '{workspace.name}' already exists in group '{group}'.")
        if workspace.customer_managed_key and workspace.customer_managed_key.key_vault:
            _check_existing_dependent(tx, "key_vault", workspace.customer_managed_key.key_vault)
        values: dict[str, Any] = {}
        for field, (cls, kind) in _DEPENDENTS.items():
            given = getattr(workspace, field)
            if given:
                _check_existing_dependent(tx, field, given)
                values[field] = given
                continue
            name = generated_name(workspace.name, kind)
            if cls is StorageAccount:
                created: ArmResource = storage_accounts.insert_new(
                    platform, tx, group, name, location=rg.location
                )
            else:
                created = dependents.insert_new(platform, tx, cls, group, name, rg.location)
            values[field] = created.id
        result = workspace.model_copy(
            update={
                **values,
                "id": ws_id,
                "resource_group": group,
                "location": rg.location,
                "display_name": workspace.display_name or workspace.name,
                # A new principal every time: a workspace made again with the same name must not
                # inherit its predecessor's role assignments (as in Azure).
                "identity": WorkspaceIdentity(
                    principal_id=str(uuid.uuid4()), tenant_id=platform.installation.tenant_id
                ),
                "mlflow_tracking_uri": f"{platform.api_endpoint}/mlflow/v1.0{ws_id}",
                "discovery_url": f"{platform.api_endpoint}/discovery",
                "provisioning_state": "Succeeded",
                "created_at": None,
                "deleted_at": None,
            }
        )
        stored = tx.insert(to_stored(result, ws_id, TYPE))
        _cache_storage_key(platform, tx, ws_id, values["storage_account"])
        # The workspace's own identity is a principal, so roles can be given to it.
        assert result.identity is not None and result.identity.principal_id is not None
        tx.put_principal(
            Principal(
                result.identity.principal_id,
                "ManagedIdentity",
                workspace.name,
                result.identity.principal_id,
                owner=ws_id,
            )
        )
    return from_stored(Workspace, stored)


def get(platform: Platform, group: str, name: str) -> Workspace:
    ws_id = workspace_id(platform, group, name)
    stored = platform.store.get(ws_id, include_deleted=True)
    if stored is None or stored.type != TYPE:
        raise NotFoundError(f"Workspace '{name}' was not found in resource group '{group}'.")
    if stored.deleted_at is not None:
        raise NotFoundError(
            f"Workspace '{name}' is soft-deleted; recover it with "
            f"'basin workspace recover -n {name} -g {group}'."
        )
    return from_stored(Workspace, stored)


def list_workspaces(
    platform: Platform, group: str | None = None, *, deleted: bool = False
) -> list[Workspace]:
    purge_expired(platform)
    if group is not None:
        groups.require_group(platform, group)
    rows = platform.store.list(
        type=TYPE,
        subscription_id=platform.subscription_id,
        resource_group=group,
        only_deleted=deleted,
    )
    return [from_stored(Workspace, row) for row in rows]


def update(platform: Platform, group: str, name: str, patch: dict[str, Any]) -> Workspace:
    """Change the updatable fields; an attempt to change any other field changes nothing.

    The SDK sends the whole entity back, so fields given with their current value are accepted.
    """
    current = get(platform, group, name)
    patch = {k: v for k, v in patch.items() if k != "$schema"}
    unknown = sorted(set(patch) - set(Workspace.model_fields))
    if unknown:
        raise ValidationError(
            f"Unknown workspace field(s): {', '.join(unknown)}. Updatable fields: "
            f"{', '.join(_UPDATABLE)}."
        )
    candidate = parse_entity(Workspace, current.to_dict() | patch, source="workspace update")
    for field in patch:
        if field in _UPDATABLE or getattr(candidate, field) == getattr(current, field):
            continue
        if field in Workspace.immutable_fields:
            raise ImmutableFieldError(
                f"'{field}' cannot change after the workspace is created "
                f"(it is {json.dumps(current.model_dump(mode='json')[field])}); create a new "
                "workspace instead."
            )
        raise ValidationError(
            f"'{field}' is set by basin and cannot be updated; updatable fields: "
            f"{', '.join(_UPDATABLE)}."
        )
    ws_id = workspace_id(platform, group, name)
    with platform.store.transaction() as tx:
        stored = tx.get(ws_id)
        if stored is None:
            raise NotFoundError(f"Workspace '{name}' was not found in resource group '{group}'.")
        stored.body = to_stored(candidate, ws_id, TYPE).body
        stored = tx.update(stored)
    return from_stored(Workspace, stored)


def delete(platform: Platform, group: str, name: str, *, permanently: bool = False) -> None:
    """Soft delete (kept RETENTION, hidden from lists) or purge. Dependents are never deleted;
    online endpoints always are, at once (as in Azure ML)."""
    ws_id = workspace_id(platform, group, name)
    with platform.store.transaction() as tx:
        stored = tx.get(ws_id, include_deleted=True)
        if stored is None or stored.type != TYPE:
            raise NotFoundError(f"Workspace '{name}' was not found in resource group '{group}'.")
        if permanently:
            removal = cascade.remove(platform, tx, ws_id)
        else:
            removal = cascade.Removal(platform)
            for endpoint in tx.list(type=ManagedOnlineEndpoint.resource_type, under=ws_id):
                removal += cascade.remove(platform, tx, endpoint.id)
            if stored.deleted_at is None:
                stored.deleted_at = platform.clock()
                tx.update(stored)
    removal.finish()


def recover(platform: Platform, group: str, name: str) -> Workspace:
    ws_id = workspace_id(platform, group, name)
    with platform.store.transaction() as tx:
        stored = tx.get(ws_id, include_deleted=True)
        if stored is None or stored.deleted_at is None:
            raise NotFoundError(
                f"There is no soft-deleted workspace '{name}' in resource group '{group}'."
            )
        stored.deleted_at = None
        stored = tx.update(stored)
    return from_stored(Workspace, stored)


def purge_expired(platform: Platform) -> int:
    """Purge workspaces soft-deleted longer than RETENTION ago."""
    cutoff = platform.clock() - RETENTION
    expired = [
        row
        for row in platform.store.list(type=TYPE, only_deleted=True)
        if row.deleted_at is not None and row.deleted_at < cutoff
    ]
    for row in expired:
        cascade.delete(platform, row.id)
    return len(expired)


def list_keys(platform: Platform, group: str, name: str) -> WorkspaceKeys:
    workspace = get(platform, group, name)
    assert workspace.id is not None
    return WorkspaceKeys(
        user_storage_key=platform.vault.get(platform.store, workspace.id, STORAGE_KEY_SECRET),
        user_storage_resource_id=workspace.storage_account,
    )


def sync_keys(platform: Platform, group: str, name: str) -> WorkspaceKeys:
    """Re-read the current keys of the dependent resources (after a storage key was renewed)."""
    workspace = get(platform, group, name)
    assert workspace.id is not None and workspace.storage_account is not None
    with platform.store.transaction() as tx:
        _cache_storage_key(platform, tx, workspace.id, workspace.storage_account)
    return list_keys(platform, group, name)
