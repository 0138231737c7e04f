"""``Microsoft.Storage``: storage accounts, their keys and blob containers, in the shapes of
azure-mgmt-storage's models.

``primaryEndpoints.blob`` is Azure's form, ``https://{account}.blob.core.windows.net/``: a
client that reached management.azure.com through basin's proxy reaches the blob service the
same way (basin's own API keeps the direct URL, which needs no proxy).
"""

from __future__ import annotations

from typing import Any

from basin.blobs import ContainerProperties
from basin.entities import StorageAccount
from basin.errors import ValidationError
from basin.server.arm._common import GROUP, SUB, lists_what_it_can_read, readable
from basin.server.arm.routing import ArmReply, ArmRequest, ArmRouter
from basin.server.arm.wire import envelope, page, text_map
from basin.services import storage_accounts

__all__ = ["blob_endpoint", "router"]

router = ArmRouter()
ACCOUNTS = "/providers/Microsoft.Storage/storageAccounts"
ONE = GROUP + ACCOUNTS + "/{account}"
CONTAINERS = ONE + "/blobServices/default/containers"
TYPE = "Microsoft.Storage/storageAccounts"


def blob_endpoint(account: str) -> str:
    return f"https://{account}.blob.core.windows.net/"


def _account(account: StorageAccount) -> dict[str, Any]:
    assert account.id is not None
    properties = {
        "provisioningState": account.provisioning_state or "Succeeded",
        "primaryEndpoints": {"blob": blob_endpoint(account.name)},
        "primaryLocation": account.location,
        "statusOfPrimary": "available",
        "accessTier": "Hot",
        "supportsHttpsTrafficOnly": True,
        "allowBlobPublicAccess": False,
        "allowSharedKeyAccess": True,
        "minimumTlsVersion": "TLS1_2",
        "isHnsEnabled": False,
    }
    sku = dict(account.sku)
    sku.setdefault("tier", "Standard")
    return envelope(
        account.id,
        TYPE,
        properties,
        location=account.location,
        tags=account.tags,
        sku=sku,
        kind=account.kind,
    )


@router.route("GET", SUB + ACCOUNTS)
@lists_what_it_can_read
def _list_all(request: ArmRequest) -> dict[str, Any]:
    found = readable(
        request, storage_accounts.list_accounts(request.platform), lambda item: item.id
    )
    return page(_account(item) for item in found)


@router.route("GET", GROUP + ACCOUNTS)
def _list_in_group(request: ArmRequest) -> dict[str, Any]:
    found = storage_accounts.list_accounts(request.platform, request.params["group"])
    return page(_account(a) for a in found)


@router.route("PUT", ONE)
def _create(request: ArmRequest) -> ArmReply:
    """Create (200 with the account: the work is done, so the poller stops at once); an existing
    account of the caller's gets its tags, as Azure's PUT does."""
    body = request.json_object()
    group, name = request.params["group"], request.params["account"]
    tags = text_map(body.get("tags"), "tags")
    existing = [
        a for a in storage_accounts.list_accounts(request.platform, group) if a.name == name
    ]
    if existing:
        return ArmReply(_account(storage_accounts.set_tags(request.platform, group, name, tags)))
    return ArmReply(_account(storage_accounts.create(request.platform, group, name, tags)))


@router.route("PATCH", ONE)
def _update(request: ArmRequest) -> dict[str, Any]:
    body = request.json_object()
    group, name = request.params["group"], request.params["account"]
    if "tags" not in body:
        return _account(storage_accounts.get(request.platform, group, name))
    updated = storage_accounts.set_tags(
        request.platform, group, name, text_map(body["tags"], "tags")
    )
    return _account(updated)


@router.route("GET", ONE)
def _show(request: ArmRequest) -> dict[str, Any]:
    found = storage_accounts.get(
        request.platform, request.params["group"], request.params["account"]
    )
    return _account(found)


@router.route("DELETE", ONE)
def _delete(request: ArmRequest) -> ArmReply:
    storage_accounts.delete(request.platform, request.params["group"], request.params["account"])
    return ArmReply(None, 200)


def _keys(request: ArmRequest) -> dict[str, Any]:
    account = storage_accounts.get(
        request.platform, request.params["group"], request.params["account"]
    )
    assert account.id is not None
    return {"keys": storage_accounts.list_keys(request.platform, account.id)}


router.add("POST", ONE + "/listKeys", _keys)


@router.route("POST", ONE + "/regenerateKey")
def _regenerate(request: ArmRequest) -> dict[str, Any]:
    key_name = request.json_object().get("keyName")
    if not isinstance(key_name, str):
        raise ValidationError("regenerateKey needs 'keyName': key1 or key2.")
    account = storage_accounts.get(
        request.platform, request.params["group"], request.params["account"]
    )
    assert account.id is not None
    return {"keys": storage_accounts.renew_key(request.platform, account.id, key_name)}


def _container(account_id: str, found: ContainerProperties) -> dict[str, Any]:
    rid = f"{account_id}/blobServices/default/containers/{found.name}"
    properties = {
        "publicAccess": "None",
        "lastModifiedTime": found.last_modified.isoformat(),
        "leaseStatus": "Unlocked",
        "leaseState": "Available",
        "hasImmutabilityPolicy": False,
        "hasLegalHold": False,
        "deleted": False,
        "metadata": dict(found.metadata),
    }
    body = envelope(rid, f"{TYPE}/blobServices/containers", properties)
    body["etag"] = f'"{found.etag}"'
    return body


def _account_id(request: ArmRequest) -> str:
    return (
        f"/subscriptions/{request.params['subscription']}/resourceGroups/"
        f"{request.params['group']}{ACCOUNTS}/{request.params['account']}"
    )


@router.route("PUT", CONTAINERS + "/{container}")
def _create_container(request: ArmRequest) -> ArmReply:
    body = request.json_object()
    properties = body.get("properties") or {}
    if not isinstance(properties, dict):
        raise ValidationError("'properties' must be an object.")
    if str(properties.get("publicAccess") or "None").lower() != "none":
        raise ValidationError(
            "Public (anonymous) access to containers is not supported: basin's blob service "
            "always needs a key, a SAS or a token. Leave 'publicAccess' as None."
        )
    metadata = text_map(properties.get("metadata"), "properties.metadata")
    made = storage_accounts.create_container(
        request.platform,
        request.params["group"],
        request.params["account"],
        request.params["container"],
        metadata,
    )
    return ArmReply(_container(_account_id(request), made), 201)


@router.route("GET", CONTAINERS + "/{container}")
def _show_container(request: ArmRequest) -> dict[str, Any]:
    found = storage_accounts.get_container(
        request.platform,
        request.params["group"],
        request.params["account"],
        request.params["container"],
    )
    return _container(_account_id(request), found)


@router.route("GET", CONTAINERS)
def _list_containers(request: ArmRequest) -> dict[str, Any]:
    found = storage_accounts.list_containers(
        request.platform, request.params["group"], request.params["account"]
    )
    return page(_container(_account_id(request), c) for c in found)


@router.route("DELETE", CONTAINERS + "/{container}")
def _delete_container(request: ArmRequest) -> ArmReply:
    storage_accounts.delete_container(
        request.platform,
        request.params["group"],
        request.params["account"],
        request.params["container"],
    )
    return ArmReply(None, 200)
