"""A key vault's secrets: the use cases behind the key vault data plane and ``basin keyvault
secret``.

Each secret is a resource under its vault (``{vault id}/secrets/{name}``) whose body lists its
versions' attributes; each version's value is sealed in the store's secrets table (scope: the
secret's id, name: the version), as basin seals every secret. Deleting keeps the secret
recoverable for the vault's retention days (soft delete), then it is purged. Every call is
authorised for its caller: by Azure roles (``Key Vault Secrets User`` / ``Officer`` /
``Administrator``) on vaults with RBAC authorization, by the vault's access policies otherwise.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from basin.entities import KeyVault
from basin.errors import AuthorizationError, ConflictError, NotFoundError, ValidationError
from basin.identity import roles_granting
from basin.identity.actions import (
    KEY_VAULT_SECRET_DELETE,
    KEY_VAULT_SECRET_GET,
    KEY_VAULT_SECRET_PURGE,
    KEY_VAULT_SECRET_READ_METADATA,
    KEY_VAULT_SECRET_RECOVER,
    KEY_VAULT_SECRET_SET,
    KEY_VAULT_SECRET_UPDATE,
)
from basin.services import access, key_vaults
from basin.services.platform import Platform
from basin.store import Principal, StoredResource, Transaction

__all__ = [
    "MAX_VALUE_CHARS",
    "SecretRecord",
    "Update",
    "VaultAccessDeniedError",
    "delete",
    "get",
    "get_deleted",
    "list_deleted",
    "list_secrets",
    "list_versions",
    "purge",
    "recover",
    "set_secret",
    "update",
    "vault_named",
]

TYPE = "Microsoft.KeyVault/vaults/secrets"
MAX_VALUE_CHARS = 25 * 1024
_NAME = re.compile(r"[0-9a-zA-Z-]{1,127}")
_VERSION = re.compile(r"[0-9a-f]{32}")
_DAY_S = 86400

#: operation -> (RBAC data action, access-policy secret permission)
_NEEDS = {
    "get": (KEY_VAULT_SECRET_GET, "get"),
    "set": (KEY_VAULT_SECRET_SET, "set"),
    "update": (KEY_VAULT_SECRET_UPDATE, "set"),
    "list": (KEY_VAULT_SECRET_READ_METADATA, "list"),
    "delete": (KEY_VAULT_SECRET_DELETE, "delete"),
    "get_deleted": (KEY_VAULT_SECRET_READ_METADATA, "get"),
    "list_deleted": (KEY_VAULT_SECRET_READ_METADATA, "list"),
    "recover": (KEY_VAULT_SECRET_RECOVER, "recover"),
    "purge": (KEY_VAULT_SECRET_PURGE, "purge"),
}


class VaultAccessDeniedError(AuthorizationError):
    """Refused by the vault's permission model; ``inner_code`` is Key Vault's for the reason."""

    def __init__(self, message: str, inner_code: str) -> None:
        super().__init__(message)
        self.inner_code = inner_code


@dataclass(frozen=True)
class SecretRecord:
    """One version of a secret as the data plane shows it (``value`` only where asked for)."""

    name: str
    version: str
    created: int
    updated: int
    enabled: bool = True
    not_before: int | None = None
    expires: int | None = None
    content_type: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    value: str | None = None
    deleted_date: int | None = None
    scheduled_purge_date: int | None = None
    recoverable_days: int = 90


@dataclass(frozen=True)
class Update:
    """Attributes to set; None leaves one as it is."""

    enabled: bool | None = None
    not_before: int | None = None
    expires: int | None = None
    content_type: str | None = None
    tags: dict[str, str] | None = None


# ---------------------------------------------------------------------------------- plumbing
def vault_named(platform: Platform, name: str) -> KeyVault:
    vault = key_vaults.find(platform, name)
    if vault is None:
        raise NotFoundError(
            f"There is no key vault named '{name}' on this server (basin keyvault list shows "
            "them; basin keyvault create makes one)."
        )
    return vault


def _check_name(name: str) -> None:
    if not _NAME.fullmatch(name):
        raise ValidationError(
            f"The request URI contains an invalid name: '{name[:130]}'. Secret names are 1-127 "
            "letters, digits and hyphens."
        )


def _secret_id(vault: KeyVault, name: str) -> str:
    assert vault.id is not None
    return f"{vault.id}/secrets/{name}"


def _now() -> int:
    return int(time.time())


def _authorize(
    platform: Platform, vault: KeyVault, caller: Principal, operation: str, name: str | None
) -> None:
    action, permission = _NEEDS[operation]
    assert vault.id is not None
    who = f"appid={caller.client_id};oid={caller.object_id}"
    if vault.enable_rbac_authorization:
        scope = f"{vault.id}/secrets/{name}" if name else vault.id
        if access.is_allowed(platform, caller.object_id, action, scope, data=True):
            return
        role = roles_granting(action, data=True)[0]
        raise VaultAccessDeniedError(
            "Caller is not authorized to perform action on resource.\r\n"
            f"Caller: {who}\r\nAction: '{action}'\r\nResource: '{scope.lower()}'\r\n"
            f"Assignment: (not found)\r\nVault: {vault.name};location={vault.location}\r\n"
            f"A role that grants it: {role} (Key Vault Secrets User reads secrets, Key Vault "
            "Secrets Officer manages them; an Owner of the vault has neither by itself). Assign "
            f'it: basin role assignment create --role "{role}" --assignee-object-id '
            f"{caller.object_id} --scope {vault.id}",
            "ForbiddenByRbac",
        )
    for policy in vault.access_policies:
        if policy.object_id == caller.object_id and permission in policy.permissions.secrets:
            return
    raise VaultAccessDeniedError(
        f"The user, group or application '{who}' does not have secrets {permission} permission "
        f"on key vault '{vault.name};location={vault.location}'. Give it with: basin keyvault "
        f"set-policy -n {vault.name} --object-id {caller.object_id} --secret-permissions "
        f"{permission}",
        "AccessDenied",
    )


def _read(tx: Transaction, vault: KeyVault, name: str) -> StoredResource | None:
    row = tx.get(_secret_id(vault, name))
    if row is None or row.type != TYPE:
        return None
    deleted = row.body.get("deleted")
    if deleted and deleted["scheduledPurgeDate"] <= _now():
        _purge_row(tx, row)  # past its retention
        return None
    return row


def _purge_row(tx: Transaction, row: StoredResource) -> None:
    tx.delete_secrets(row.id)
    tx.delete(row.id)


def _not_found(name: str) -> NotFoundError:
    return NotFoundError(
        f"A secret with (name/id) {name} was not found in this key vault. If you recently deleted "
        "this secret you may be able to recover it using the correct recovery command."
    )


def _live(tx: Transaction, vault: KeyVault, name: str) -> StoredResource:
    row = _read(tx, vault, name)
    if row is None or row.body.get("deleted"):
        raise _not_found(name)
    return row


def _deleted_row(tx: Transaction, vault: KeyVault, name: str) -> StoredResource:
    row = _read(tx, vault, name)
    if row is None or not row.body.get("deleted"):
        raise NotFoundError(f"Deleted Secret not found: there is no deleted secret named {name}.")
    return row


def _record(
    vault: KeyVault, row: StoredResource, attributes: dict[str, Any], value: str | None = None
) -> SecretRecord:
    deleted = row.body.get("deleted") or {}
    return SecretRecord(
        name=str(row.body["name"]),
        version=str(attributes["version"]),
        created=int(attributes["created"]),
        updated=int(attributes["updated"]),
        enabled=bool(attributes.get("enabled", True)),
        not_before=attributes.get("nbf"),
        expires=attributes.get("exp"),
        content_type=attributes.get("contentType"),
        tags=dict(attributes.get("tags") or {}),
        value=value,
        deleted_date=deleted.get("deletedDate"),
        scheduled_purge_date=deleted.get("scheduledPurgeDate"),
        recoverable_days=vault.soft_delete_retention_in_days,
    )


def _version(row: StoredResource, version: str | None) -> dict[str, Any]:
    versions: list[dict[str, Any]] = row.body["versions"]
    if not version:
        return versions[-1]
    for attributes in versions:
        if attributes["version"] == version.lower():
            return attributes
    raise NotFoundError(
        f"A secret with (name/id) {row.body['name']}/{version} was not found in this key vault."
    )


# ---------------------------------------------------------------------------------- use cases
def set_secret(
    platform: Platform,
    vault: KeyVault,
    caller: Principal,
    name: str,
    value: str,
    attributes: Update | None = None,
) -> SecretRecord:
    """Add a new version (the current one from now on) of the secret ``name``."""
    _check_name(name)
    if not isinstance(value, str):
        raise ValidationError("The secret's value must be a string.")
    if len(value) > MAX_VALUE_CHARS:
        raise ValidationError(f"A secret's value is at most {MAX_VALUE_CHARS} characters.")
    _authorize(platform, vault, caller, "set", name)
    given = attributes or Update()
    now = _now()
    version = {
        "version": uuid.uuid4().hex,
        "created": now,
        "updated": now,
        "enabled": True if given.enabled is None else given.enabled,
        "nbf": given.not_before,
        "exp": given.expires,
        "contentType": given.content_type,
        "tags": given.tags or {},
    }
    rid = _secret_id(vault, name)
    with platform.store.transaction() as tx:
        row = _read(tx, vault, name)
        if row is not None and row.body.get("deleted"):
            raise ConflictError(
                f"Secret {name} is currently in a deleted but recoverable state, and its name "
                "cannot be reused; in this state, the secret can only be recovered or purged."
            )
        if row is None:
            row = StoredResource(
                rid, TYPE, name, platform.subscription_id, vault.resource_group,
                {"name": name, "versions": [version], "deleted": None},
            )  # fmt: skip
            tx.insert(row)
        else:
            row.body["versions"].append(version)
            tx.update(row)
        platform.vault.put(tx, rid, str(version["version"]), value)
    return _record(vault, row, version, value)


def get(
    platform: Platform, vault: KeyVault, caller: Principal, name: str, version: str | None = None
) -> SecretRecord:
    """A version (default: the current one) with its value."""
    _check_name(name)
    _authorize(platform, vault, caller, "get", name)
    with platform.store.transaction() as tx:
        row = _live(tx, vault, name)
        attributes = _version(row, version)
        if not attributes.get("enabled", True):
            raise VaultAccessDeniedError(
                "Operation get is not allowed on a disabled secret.", "SecretDisabled"
            )
        value = platform.vault.get(tx, row.id, str(attributes["version"]))
    return _record(vault, row, attributes, value or "")


def update(
    platform: Platform,
    vault: KeyVault,
    caller: Principal,
    name: str,
    version: str | None,
    changes: Update,
) -> SecretRecord:
    """Change a version's attributes (not its value)."""
    _check_name(name)
    _authorize(platform, vault, caller, "update", name)
    with platform.store.transaction() as tx:
        row = _live(tx, vault, name)
        attributes = _version(row, version)
        for key, new in (
            ("enabled", changes.enabled),
            ("nbf", changes.not_before),
            ("exp", changes.expires),
            ("contentType", changes.content_type),
            ("tags", changes.tags),
        ):
            if new is not None:
                attributes[key] = new
        attributes["updated"] = _now()
        tx.update(row)
    return _record(vault, row, attributes)


def list_secrets(platform: Platform, vault: KeyVault, caller: Principal) -> list[SecretRecord]:
    """Every secret's current version, without values."""
    _authorize(platform, vault, caller, "list", None)
    return [
        _record(vault, row, row.body["versions"][-1])
        for row in _rows(platform, vault)
        if not row.body.get("deleted")
    ]


def list_versions(
    platform: Platform, vault: KeyVault, caller: Principal, name: str
) -> list[SecretRecord]:
    _check_name(name)
    _authorize(platform, vault, caller, "list", name)
    with platform.store.transaction() as tx:
        row = _live(tx, vault, name)
    return [_record(vault, row, attributes) for attributes in row.body["versions"]]


def delete(platform: Platform, vault: KeyVault, caller: Principal, name: str) -> SecretRecord:
    """Delete every version: recoverable for the vault's retention days, or gone at once on a
    vault without soft delete."""
    _check_name(name)
    _authorize(platform, vault, caller, "delete", name)
    now = _now()
    with platform.store.transaction() as tx:
        row = _live(tx, vault, name)
        if vault.enable_soft_delete:
            row.body["deleted"] = {
                "deletedDate": now,
                "scheduledPurgeDate": now + vault.soft_delete_retention_in_days * _DAY_S,
            }
            tx.update(row)
        else:
            _purge_row(tx, row)
    return _record(vault, row, row.body["versions"][-1])


def get_deleted(platform: Platform, vault: KeyVault, caller: Principal, name: str) -> SecretRecord:
    _check_name(name)
    _authorize(platform, vault, caller, "get_deleted", name)
    with platform.store.transaction() as tx:
        row = _deleted_row(tx, vault, name)
    return _record(vault, row, row.body["versions"][-1])


def list_deleted(platform: Platform, vault: KeyVault, caller: Principal) -> list[SecretRecord]:
    _authorize(platform, vault, caller, "list_deleted", None)
    return [
        _record(vault, row, row.body["versions"][-1])
        for row in _rows(platform, vault)
        if row.body.get("deleted")
    ]


def recover(platform: Platform, vault: KeyVault, caller: Principal, name: str) -> SecretRecord:
    _check_name(name)
    _authorize(platform, vault, caller, "recover", name)
    with platform.store.transaction() as tx:
        row = _deleted_row(tx, vault, name)
        row.body["deleted"] = None
        tx.update(row)
    return _record(vault, row, row.body["versions"][-1])


def purge(platform: Platform, vault: KeyVault, caller: Principal, name: str) -> None:
    _check_name(name)
    _authorize(platform, vault, caller, "purge", name)
    with platform.store.transaction() as tx:
        _purge_row(tx, _deleted_row(tx, vault, name))


def _rows(platform: Platform, vault: KeyVault) -> list[StoredResource]:
    """The vault's secrets, purging those past their retention on the way."""
    assert vault.id is not None
    with platform.store.transaction() as tx:
        rows = [row for row in tx.list(type=TYPE, under=vault.id)]
        return [row for row in rows if _read(tx, vault, str(row.body["name"])) is not None]
