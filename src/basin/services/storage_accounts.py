"""Storage accounts: the resource, its two keys (kept in the vault), and its blob endpoint."""

from __future__ import annotations

import base64
import os

from basin.blobs import BlobStore, ContainerAlreadyExistsError, ContainerProperties
from basin.entities import StorageAccount, StorageEndpoints
from basin.errors import ConflictError, ServiceUnavailableError, ValidationError
from basin.ids import resource_id, validate_name
from basin.services import cascade, groups
from basin.services._resources import from_stored, replace_tags, require, to_stored
from basin.services.platform import Platform
from basin.store import Reader, StoredResource, Transaction

__all__ = [
    "KEY_NAMES",
    "create",
    "create_container",
    "delete",
    "delete_container",
    "get",
    "get_by_id",
    "get_container",
    "insert_new",
    "list_accounts",
    "list_containers",
    "list_keys",
    "register_cascade",
    "renew_key",
    "set_tags",
]

TYPE = StorageAccount.resource_type
KEY_NAMES = ("key1", "key2")


def _new_key() -> str:
    return base64.b64encode(os.urandom(64)).decode()


def _account_id(platform: Platform, group: str, name: str) -> str:
    return resource_id(platform.subscription_id, group, TYPE, name)


def check_name_free(reader: Reader, name: str) -> None:
    # The blob endpoint addresses accounts by name alone, so names are unique per installation,
    # as Azure's are unique worldwide.
    for row in reader.list(type=TYPE):
        if row.name.lower() == name.lower():
            raise ConflictError(
                f"The storage account name '{name}' is already taken ({row.id}); choose another."
            )


def insert_new(
    platform: Platform,
    tx: Transaction,
    group: str,
    name: str,
    tags: dict[str, str] | None = None,
    *,
    location: str | None = None,
) -> StorageAccount:
    """Create an account inside an open transaction (used by workspaces too)."""
    validate_name("storage account", name)
    check_name_free(tx, name)
    rid = _account_id(platform, group, name)
    account = StorageAccount(
        id=rid,
        name=name,
        type=TYPE,
        location=location or platform.location,
        resource_group=group,
        tags=tags or {},
        provisioning_state="Succeeded",
        primary_endpoints=StorageEndpoints(blob=f"{platform.blob_endpoint}/{name}/"),
    )
    tx.insert(to_stored(account, rid, TYPE))
    for key_name in KEY_NAMES:
        platform.vault.put(tx, rid, key_name, _new_key())
    return account


def create(
    platform: Platform,
    group: str,
    name: str,
    tags: dict[str, str] | None = None,
    location: str | None = None,
) -> StorageAccount:
    """A new account, in its group's location unless another is given (as in Azure)."""
    rg = groups.require_group(platform, group)
    with platform.store.transaction() as tx:
        return insert_new(platform, tx, group, name, tags, location=location or rg.location)


def set_tags(platform: Platform, group: str, name: str, tags: dict[str, str]) -> StorageAccount:
    """Replace an account's tags (an ARM PUT or PATCH on an existing account)."""
    rid = _account_id(platform, group, name)
    return replace_tags(platform.store, rid, StorageAccount, TYPE, "Storage account", tags)


def get(platform: Platform, group: str, name: str) -> StorageAccount:
    stored = require(platform.store, _account_id(platform, group, name), TYPE, "Storage account")
    return from_stored(StorageAccount, stored)


def get_by_id(platform: Platform, account_id: str) -> StorageAccount:
    return from_stored(StorageAccount, require(platform.store, account_id, TYPE, "Storage account"))


def list_accounts(platform: Platform, group: str | None = None) -> list[StorageAccount]:
    rows = platform.store.list(
        type=TYPE, subscription_id=platform.subscription_id, resource_group=group
    )
    return [from_stored(StorageAccount, row) for row in rows]


def delete(platform: Platform, group: str, name: str) -> None:
    rid = _account_id(platform, group, name)
    require(platform.store, rid, TYPE, "Storage account")
    cascade.delete(platform, rid)


def _delete_data(platform: Platform, account: StoredResource) -> None:
    """Drop every container (and blob) of an account that no longer exists."""
    if platform.blobs is None:
        return
    for container in list(platform.blobs.iter_containers(account.name)):
        platform.blobs.delete_container(account.name, container.name)


def register_cascade(registry: cascade.Cascade) -> None:
    """A deleted account's blob data goes with it."""
    registry.after_delete(TYPE, _delete_data)


def list_keys(platform: Platform, account_id: str) -> list[dict[str, str]]:
    """The account's keys, as ``az storage account keys list`` shows them."""
    require(platform.store, account_id, TYPE, "Storage account")
    keys = []
    for key_name in KEY_NAMES:
        value = platform.vault.get(platform.store, account_id, key_name)
        keys.append({"keyName": key_name, "permissions": "FULL", "value": value or ""})
    return keys


def renew_key(platform: Platform, account_id: str, key_name: str) -> list[dict[str, str]]:
    if key_name not in KEY_NAMES:
        raise ValidationError(f"--key must be one of {', '.join(KEY_NAMES)}, not '{key_name}'.")
    require(platform.store, account_id, TYPE, "Storage account")
    with platform.store.transaction() as tx:
        platform.vault.put(tx, account_id, key_name, _new_key())
    return list_keys(platform, account_id)


# ---- containers (the control plane's view: az storage container / blobServices/default) -----


def _blob_store(platform: Platform) -> BlobStore:
    if platform.blobs is None:
        raise ServiceUnavailableError("This server has no blob store.")
    return platform.blobs


def create_container(
    platform: Platform, group: str, account: str, container: str, metadata: dict[str, str]
) -> ContainerProperties:
    """A container in the account (``blobServices/default/containers/{name}`` PUT); an existing
    one keeps its blobs and gets the metadata."""
    found = get(platform, group, account)
    store = _blob_store(platform)
    try:
        return store.create_container(found.name, container, metadata)
    except ContainerAlreadyExistsError:
        return store.set_container_metadata(found.name, container, metadata)


def get_container(
    platform: Platform, group: str, account: str, container: str
) -> ContainerProperties:
    return _blob_store(platform).get_container(get(platform, group, account).name, container)


def list_containers(platform: Platform, group: str, account: str) -> list[ContainerProperties]:
    return list(_blob_store(platform).iter_containers(get(platform, group, account).name))


def delete_container(platform: Platform, group: str, account: str, container: str) -> None:
    _blob_store(platform).delete_container(get(platform, group, account).name, container)
