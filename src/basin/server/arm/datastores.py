"""Datastores in ARM's shape: a workspace has one, ``workspaceblobstore`` (an Azure Blob datastore
on a container of the workspace's storage account, account-key credentials).

``listSecrets`` gives a short-lived SAS for that container (``secretsType: Sas``), never the
account key: azure-ai-ml asks for it (``expirableSecret: true``) before it uploads a model or a
data folder to ``https://{account}.blob.core.windows.net/{container}/LocalUpload/...``.
"""

from __future__ import annotations

from typing import Any

from basin.entities import Workspace
from basin.errors import NotFoundError, ValidationError
from basin.ids import ResourceId
from basin.server.arm._common import ML, WORKSPACE, workspace_for
from basin.server.arm.routing import ArmRequest, ArmRouter
from basin.server.arm.wire import envelope, page
from basin.services import datastores

__all__ = ["router"]

router = ArmRouter()
DATASTORES = WORKSPACE + "/datastores"
ONE = DATASTORES + "/{name}"
#: The longest a listSecrets SAS lives (hours).
MAX_SAS_HOURS = 1.0


def _datastore(request: ArmRequest, workspace: Workspace) -> dict[str, Any]:
    assert workspace.id is not None and workspace.storage_account is not None
    where = datastores.location_of(request.platform, workspace)
    account = ResourceId.parse(workspace.storage_account)
    properties = {
        "datastoreType": "AzureBlob",
        "accountName": where.account,
        "containerName": where.container,
        "endpoint": "core.windows.net",
        "protocol": "https",
        "credentials": {"credentialsType": "AccountKey"},
        "isDefault": True,
        "description": None,
        "tags": {},
        "properties": {},
        "serviceDataAccessAuthIdentity": "None",
        "subscriptionId": account.subscription_id,
        "resourceGroup": account.resource_group,
    }
    rid = f"{workspace.id}/datastores/{datastores.DEFAULT_DATASTORE}"
    return envelope(rid, f"{ML}/workspaces/datastores", properties, created_at=workspace.created_at)


def _named(request: ArmRequest) -> Workspace:
    workspace = workspace_for(request)
    if request.params["name"] != datastores.DEFAULT_DATASTORE:
        raise NotFoundError(
            f"Datastore '{request.params['name']}' was not found: a basin workspace has one "
            f"datastore, '{datastores.DEFAULT_DATASTORE}'."
        )
    return workspace


@router.route("GET", DATASTORES)
def _list(request: ArmRequest) -> dict[str, Any]:
    """Every datastore (there is one); ``isDefault=false`` lists the others (none)."""
    workspace = workspace_for(request)
    if request.query.get("isDefault", "").lower() == "false":
        return page([])
    return page([_datastore(request, workspace)])


@router.route("GET", ONE)
def _show(request: ArmRequest) -> dict[str, Any]:
    return _datastore(request, _named(request))


@router.route("PUT", ONE)
def _create(request: ArmRequest) -> dict[str, Any]:
    _named(request)
    raise ValidationError(
        f"basin workspaces have one datastore, '{datastores.DEFAULT_DATASTORE}', which cannot be "
        "changed; other datastores are not supported yet."
    )


@router.route("POST", ONE + "/listSecrets")
def _list_secrets(request: ArmRequest) -> dict[str, Any]:
    """A SAS for the datastore's container, valid at most an hour."""
    workspace = _named(request)
    body = request.json_object()
    hours = body.get("expireAfterHours", MAX_SAS_HOURS)
    if not isinstance(hours, int | float) or isinstance(hours, bool) or hours <= 0:
        raise ValidationError("'expireAfterHours' must be a positive number.")
    where = datastores.location_of(request.platform, workspace)
    sas = datastores.container_sas(
        request.platform,
        workspace,
        where.container,
        hours=min(float(hours), MAX_SAS_HOURS),
        permission="racwdl",
    )
    return {"secretsType": "Sas", "sasToken": sas}
