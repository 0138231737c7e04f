"""Key vaults as resources (``basin keyvault create|show|list|delete``, access policies).

A vault's secrets are served by the key vault data plane (``services/vault_secrets.py``). Names
are unique per installation (as Azure's are worldwide): the data plane finds a vault by the
name in its host name, ``{vault}.vault.azure.net``.
"""

from __future__ import annotations

from collections.abc import Iterable

from basin.entities import AccessPolicy, KeyVault, PolicyPermissions, vault_uri
from basin.errors import NotFoundError, ValidationError
from basin.ids import resource_id
from basin.services import cascade, dependents, groups
from basin.services._resources import from_stored, require, to_stored
from basin.services.platform import Platform
from basin.store import StoredResource

__all__ = [
    "SECRET_PERMISSIONS",
    "create",
    "delete",
    "delete_policy",
    "find",
    "get",
    "list_vaults",
    "put",
    "set_policy",
]

TYPE = KeyVault.resource_type
#: The secret permissions of an access policy (Azure's names).
SECRET_PERMISSIONS = ("get", "list", "set", "delete", "recover", "backup", "restore", "purge")
#: What ``az keyvault create`` gives its caller on a vault with access policies.
_CREATOR_SECRETS = ("get", "list", "set", "delete", "recover", "backup", "restore")


def _entity(platform: Platform, row_body: KeyVault) -> KeyVault:
    # Vaults made before the data plane existed carry another vault_uri; the name decides.
    row_body.vault_uri = vault_uri(row_body.name)
    row_body.tenant_id = row_body.tenant_id or platform.installation.tenant_id
    return row_body


def create(
    platform: Platform,
    group: str,
    name: str,
    *,
    tags: dict[str, str] | None = None,
    enable_rbac_authorization: bool = True,
    retention_days: int = 90,
    creator_object_id: str | None = None,
) -> KeyVault:
    """Create a vault; without RBAC authorization its creator gets an access policy, as az
    gives one."""
    groups.require_group(platform, group)
    if not 7 <= retention_days <= 90:
        raise ValidationError("--retention-days must be between 7 and 90.")
    with platform.store.transaction() as tx:
        vault = dependents.insert_new(platform, tx, KeyVault, group, name)
        vault.tags = tags or {}
        vault.enable_rbac_authorization = enable_rbac_authorization
        vault.soft_delete_retention_in_days = retention_days
        if not enable_rbac_authorization and creator_object_id:
            vault.access_policies = [_policy(platform, creator_object_id, _CREATOR_SECRETS)]
        assert vault.id is not None
        tx.update(_stored(vault))
    return _entity(platform, vault)


def put(
    platform: Platform,
    group: str,
    name: str,
    *,
    location: str | None = None,
    tags: dict[str, str] | None = None,
    enable_rbac_authorization: bool = False,
    retention_days: int = 90,
    access_policies: list[AccessPolicy] | None = None,
) -> tuple[KeyVault, bool]:
    """Create the vault or replace its settings (ARM's PUT: the body is the whole vault, access
    policies as given); the vault and whether it is new. Secrets are kept."""
    groups.require_group(platform, group)
    if not 7 <= retention_days <= 90:
        raise ValidationError("softDeleteRetentionInDays must be between 7 and 90.")
    policies = [_checked(policy) for policy in access_policies or []]
    rid = resource_id(platform.subscription_id, group, TYPE, name)
    with platform.store.transaction() as tx:
        row = tx.get(rid)
        if row is None:
            vault = dependents.insert_new(platform, tx, KeyVault, group, name, location)
        else:
            vault = from_stored(KeyVault, row)
        vault.tags = tags or {}
        vault.enable_rbac_authorization = enable_rbac_authorization
        vault.soft_delete_retention_in_days = retention_days
        vault.access_policies = policies
        tx.update(_stored(vault))
    return _entity(platform, vault), row is None


def _checked(policy: AccessPolicy) -> AccessPolicy:
    """A policy with Azure's permission names in lower case ("all" spelled out)."""
    where = f" in the access policy of '{policy.object_id}'"
    secrets = _secret_permissions(policy.permissions.secrets, where)
    return policy.model_copy(
        update={"permissions": policy.permissions.model_copy(update={"secrets": secrets})}
    )


def _secret_permissions(given: Iterable[str], where: str = "") -> list[str]:
    """Azure's secret permission names in lower case, ``all`` spelled out; a 400 naming the
    unknown ones."""
    permissions = [p.lower() for p in given]
    unknown = sorted(set(permissions) - {*SECRET_PERMISSIONS, "all"})
    if unknown:
        raise ValidationError(
            f"Unknown secret permission(s) {', '.join(unknown)}{where}; choose from "
            f"{', '.join(SECRET_PERMISSIONS)} or all."
        )
    return list(SECRET_PERMISSIONS) if "all" in permissions else permissions


def _stored(vault: KeyVault) -> StoredResource:
    assert vault.id is not None
    return to_stored(vault, vault.id, TYPE)


def get(platform: Platform, group: str, name: str) -> KeyVault:
    rid = resource_id(platform.subscription_id, group, TYPE, name)
    return _entity(platform, from_stored(KeyVault, require(platform.store, rid, TYPE, "Key vault")))


def find(platform: Platform, name: str) -> KeyVault | None:
    """The vault called ``name`` in any group (names are unique per installation)."""
    for row in platform.store.list(type=TYPE):
        if row.name.lower() == name.lower():
            return _entity(platform, from_stored(KeyVault, row))
    return None


def list_vaults(platform: Platform, group: str | None = None) -> list[KeyVault]:
    rows = platform.store.list(
        type=TYPE, subscription_id=platform.subscription_id, resource_group=group
    )
    return [_entity(platform, from_stored(KeyVault, row)) for row in rows]


def delete(platform: Platform, group: str, name: str) -> None:
    """Delete the vault, every secret in it (soft-deleted ones too) and the role assignments
    on it."""
    rid = resource_id(platform.subscription_id, group, TYPE, name)
    require(platform.store, rid, TYPE, "Key vault")
    cascade.delete(platform, rid)


def _policy(platform: Platform, object_id: str, secrets: Iterable[str]) -> AccessPolicy:
    return AccessPolicy(
        tenant_id=platform.installation.tenant_id,
        object_id=object_id,
        permissions=PolicyPermissions(secrets=list(secrets)),
    )


def set_policy(
    platform: Platform, group: str, name: str, object_id: str, secret_permissions: list[str]
) -> KeyVault:
    """Give ``object_id`` these secret permissions (replacing its earlier ones), as
    ``az keyvault set-policy``."""
    permissions = _secret_permissions(secret_permissions)
    if platform.store.get_principal(object_id) is None:
        raise NotFoundError(f"No principal has the object id '{object_id}'.")
    vault = get(platform, group, name)
    if vault.enable_rbac_authorization:
        raise ValidationError(
            f"Key vault '{name}' authorizes data actions with Azure roles, so access policies "
            'do not apply: assign a role instead (basin role assignment create --role "Key '
            f'Vault Secrets User" --assignee-object-id {object_id} --scope {vault.id}).'
        )
    kept = [p for p in vault.access_policies if p.object_id != object_id]
    vault.access_policies = [*kept, _policy(platform, object_id, permissions)]
    with platform.store.transaction() as tx:
        tx.update(_stored(vault))
    return vault


def delete_policy(platform: Platform, group: str, name: str, object_id: str) -> KeyVault:
    vault = get(platform, group, name)
    vault.access_policies = [p for p in vault.access_policies if p.object_id != object_id]
    with platform.store.transaction() as tx:
        tx.update(_stored(vault))
    return vault
