"""``Microsoft.MachineLearningServices/workspaces`` in ARM's shape (azure-ai-ml's ``Workspace``
REST model: ``properties.friendlyName``, ``storageAccount``, ``keyVault``, ``hbiWorkspace``, ...).

Creating one through azure-ai-ml goes through Azure ML's workspace template (``resources.py``);
a plain PUT with ``properties`` works too. ``DELETE`` soft-deletes; ``forceToPurge=true``
purges, as Azure's.
"""

from __future__ import annotations

import uuid
from typing import Any

from basin.entities import CustomerManagedKey, Workspace, parse_entity
from basin.errors import ValidationError
from basin.server.arm._common import GROUP, ML, SUB, lists_what_it_can_read, readable, workspace_for
from basin.server.arm.routing import ArmReply, ArmRequest, ArmRouter
from basin.server.arm.wire import envelope, page, text_map
from basin.services import workspaces
from basin.services.serving import wait_for_removal

__all__ = ["router", "workspace_body"]

router = ArmRouter()
WORKSPACES = f"/providers/{ML}/workspaces"
ONE = GROUP + WORKSPACES + "/{workspace}"
TYPE = f"{ML}/workspaces"

#: ARM property -> basin field, for what a PUT or PATCH may set.
_SETTABLE = {
    "friendlyName": "display_name",
    "description": "description",
    "storageAccount": "storage_account",
    "keyVault": "key_vault",
    "applicationInsights": "application_insights",
    "containerRegistry": "container_registry",
    "hbiWorkspace": "hbi_workspace",
    "publicNetworkAccess": "public_network_access",
    "imageBuildCompute": "image_build_compute",
}


def workspace_body(ws: Workspace) -> dict[str, Any]:
    assert ws.id is not None
    identity = ws.identity
    properties: dict[str, Any] = {arm: getattr(ws, field) for arm, field in _SETTABLE.items()}
    properties.update(
        {
            "provisioningState": ws.provisioning_state or "Succeeded",
            "discoveryUrl": ws.discovery_url,
            "mlFlowTrackingUri": ws.mlflow_tracking_uri,
            # A stable id per workspace (Azure's is a GUID made at creation).
            "workspaceId": str(uuid.uuid5(uuid.NAMESPACE_URL, ws.id.lower())),
            "tenantId": identity.tenant_id if identity else None,
            "v1LegacyMode": False,
            "storageHnsEnabled": False,
            "systemDatastoresAuthMode": "accesskey",
            "enableDataIsolation": False,
        }
    )
    if ws.customer_managed_key is not None:
        cmk = ws.customer_managed_key
        properties["encryption"] = {
            "status": "Enabled",
            "keyVaultProperties": {"keyVaultArmId": cmk.key_vault, "keyIdentifier": cmk.key_uri},
            "cosmosDbResourceId": cmk.cosmosdb_id,
            "storageAccountResourceId": cmk.storage_id,
            "searchAccountResourceId": cmk.search_id,
        }
    arm_identity = None
    if identity is not None:
        arm_identity = {
            "type": "SystemAssigned",
            "principalId": identity.principal_id,
            "tenantId": identity.tenant_id,
        }
    return envelope(
        ws.id,
        TYPE,
        properties,
        created_at=ws.created_at,
        location=ws.location,
        tags=ws.tags,
        identity=arm_identity,
        sku={"name": "Basic", "tier": "Basic"},
        kind="Default",
    )


def _fields(body: dict[str, Any]) -> dict[str, Any]:
    """basin fields from an ARM body (``tags`` and the settable ``properties``)."""
    properties = body.get("properties") or {}
    if not isinstance(properties, dict):
        raise ValidationError("'properties' must be an object.")
    fields: dict[str, Any] = {_SETTABLE[k]: v for k, v in properties.items() if k in _SETTABLE}
    if "tags" in body:
        fields["tags"] = text_map(body["tags"], "tags")
    encryption = properties.get("encryption")
    if isinstance(encryption, dict) and str(encryption.get("status", "")).lower() == "enabled":
        vault = encryption.get("keyVaultProperties") or {}
        fields["customer_managed_key"] = CustomerManagedKey(
            key_vault=vault.get("keyVaultArmId"),
            key_uri=str(vault.get("keyIdentifier") or ""),
            cosmosdb_id=encryption.get("cosmosDbResourceId"),
            storage_id=encryption.get("storageAccountResourceId"),
            search_id=encryption.get("searchAccountResourceId"),
        )
    return {k: v for k, v in fields.items() if v is not None}


@router.route("GET", SUB + WORKSPACES)
@lists_what_it_can_read
def _list_all(request: ArmRequest) -> dict[str, Any]:
    found = readable(request, workspaces.list_workspaces(request.platform), lambda item: item.id)
    return page(workspace_body(item) for item in found)


@router.route("GET", GROUP + WORKSPACES)
def _list_in_group(request: ArmRequest) -> dict[str, Any]:
    found = workspaces.list_workspaces(request.platform, request.params["group"])
    return page(workspace_body(w) for w in found)


@router.route("GET", ONE)
def _show(request: ArmRequest) -> dict[str, Any]:
    return workspace_body(workspace_for(request))


@router.route("PUT", ONE)
def _create(request: ArmRequest) -> ArmReply:
    body = request.json_object()
    group, name = request.params["group"], request.params["workspace"]
    fields = _fields(body)
    if body.get("location"):
        fields["location"] = body["location"]
    existing = [w for w in workspaces.list_workspaces(request.platform, group) if w.name == name]
    if existing:
        updated = workspaces.update(request.platform, group, name, fields)
        return ArmReply(workspace_body(updated), 200)
    workspace = parse_entity(Workspace, {**fields, "name": name}, source="workspace")
    return ArmReply(workspace_body(workspaces.create(request.platform, group, workspace)), 201)


@router.route("PATCH", ONE)
def _update(request: ArmRequest) -> dict[str, Any]:
    workspace_for(request)
    fields = _fields(request.json_object())
    updated = workspaces.update(
        request.platform, request.params["group"], request.params["workspace"], fields
    )
    return workspace_body(updated)


@router.route("DELETE", ONE)
def _delete(request: ArmRequest) -> ArmReply:
    purge = request.query.get("forceToPurge", "false").lower() == "true"
    if not purge:
        workspace_for(request)
    group, name = request.params["group"], request.params["workspace"]
    workspaces.delete(request.platform, group, name, permanently=purge)
    # its endpoints went with it: back once their replicas have stopped
    wait_for_removal(request.state.serving, workspaces.workspace_id(request.platform, group, name))
    return ArmReply(None, 200)


@router.route("POST", ONE + "/listKeys")
def _list_keys(request: ArmRequest) -> dict[str, Any]:
    workspace_for(request)
    keys = workspaces.list_keys(
        request.platform, request.params["group"], request.params["workspace"]
    )
    return {
        "userStorageKey": keys.user_storage_key,
        "userStorageArmId": keys.user_storage_resource_id,
    }


@router.route("POST", ONE + "/resyncKeys")
def _resync_keys(request: ArmRequest) -> ArmReply:
    workspace_for(request)
    workspaces.sync_keys(request.platform, request.params["group"], request.params["workspace"])
    return ArmReply(None, 200)
