"""``Microsoft.Resources``: subscriptions, resource groups and (Azure ML's workspace) template
deployments, in the shapes of azure-mgmt-resource's models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from basin.entities import ResourceGroup, TemplateDeployment
from basin.errors import ValidationError
from basin.ids import ResourceId, resource_group_id
from basin.server.arm._common import GROUP, SUB, authorize, lists_what_it_can_read, readable
from basin.server.arm.routing import ArmReply, ArmRequest, ArmRouter
from basin.server.arm.templates import is_workspace_template, workspace_from_template
from basin.server.arm.wire import duration, envelope, page, system_data, text_map
from basin.services import groups, template_deployments, workspaces
from basin.services.platform import Platform
from basin.services.serving import wait_for_removal

__all__ = ["router"]

router = ArmRouter()
DEPLOYMENT = GROUP + "/providers/Microsoft.Resources/deployments/{name}"
#: ARM also answers a deployment (and lists its operations) without the provider segment.
SHORT_DEPLOYMENT = GROUP + "/deployments/{name}"


def _subscription(platform: Platform) -> dict[str, Any]:
    sub = platform.subscription_id
    return {
        "id": f"/subscriptions/{sub}",
        "subscriptionId": sub,
        "tenantId": platform.installation.tenant_id,
        "displayName": "basin",
        "state": "Enabled",
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "basin",
            "spendingLimit": "Off",
        },
        "authorizationSource": "RoleBased",
    }


@router.route("GET", "/subscriptions")
@lists_what_it_can_read
def _list_subscriptions(request: ArmRequest) -> dict[str, Any]:
    """basin's one subscription, to every caller of its tenant (``basin account show``)."""
    return page([_subscription(request.platform)])


@router.route("GET", SUB)
def _get_subscription(request: ArmRequest) -> dict[str, Any]:
    return _subscription(request.platform)


@router.route("GET", SUB + "/locations")
def _locations(request: ArmRequest) -> dict[str, Any]:
    location = request.platform.location
    return page(
        [
            {
                "id": f"/subscriptions/{request.platform.subscription_id}/locations/{location}",
                "name": location,
                "displayName": location,
                "regionalDisplayName": location,
                "type": "Region",
            }
        ]
    )


def _group(group: ResourceGroup) -> dict[str, Any]:
    assert group.id is not None
    return envelope(
        group.id,
        "Microsoft.Resources/resourceGroups",
        {"provisioningState": group.provisioning_state or "Succeeded"},
        location=group.location,
        tags=group.tags,
    )


@router.route("GET", SUB + "/resourceGroups")
@lists_what_it_can_read
def _list_groups(request: ArmRequest) -> dict[str, Any]:
    found = readable(request, groups.list_all(request.platform), lambda g: g.id)
    return page(_group(g) for g in found)


@router.route("GET,HEAD", GROUP)
def _get_group(request: ArmRequest) -> ArmReply | dict[str, Any]:
    found = groups.get(request.platform, request.params["group"])
    if request.method == "HEAD":  # check_existence: 204 yes, 404 no
        return ArmReply(None, 204)
    return _group(found)


@router.route("PUT", GROUP)
def _put_group(request: ArmRequest) -> ArmReply:
    body = request.json_object()
    name = request.params["group"]
    existed = any(g.name.lower() == name.lower() for g in groups.list_all(request.platform))
    location = body.get("location")
    if location is not None and not isinstance(location, str):
        raise ValidationError("'location' must be text.")
    tags = text_map(body.get("tags"), "tags") if "tags" in body else None
    made = groups.create(request.platform, name, location, tags)
    return ArmReply(_group(made), 200 if existed else 201)


@router.route("PATCH", GROUP)
def _patch_group(request: ArmRequest) -> dict[str, Any]:
    body = request.json_object()
    current = groups.get(request.platform, request.params["group"])
    tags = text_map(body["tags"], "tags") if "tags" in body else current.tags
    return _group(groups.create(request.platform, current.name, None, tags))


@router.route("DELETE", GROUP)
def _delete_group(request: ArmRequest) -> ArmReply:
    groups.delete(request.platform, request.params["group"])
    group_id = resource_group_id(request.platform.subscription_id, request.params["group"])
    wait_for_removal(request.state.serving, group_id)  # the replicas of what it held
    return ArmReply(None, 200)


def _deployment(record: TemplateDeployment) -> dict[str, Any]:
    assert record.id is not None
    stamp = system_data(record.created_at).get("createdAt") or datetime.now(UTC).isoformat()
    properties: dict[str, Any] = {
        "provisioningState": record.provisioning_state,
        "timestamp": stamp,
        "duration": duration(round(record.duration_s, 3)),
        "correlationId": record.name,
        "mode": record.mode,
        "parameters": {k: {"type": _type_of(v), "value": v} for k, v in record.parameters.items()},
        "outputs": {},
        "outputResources": [{"id": rid} for rid in record.output_resources],
        "providers": [],
        "dependencies": [],
    }
    if record.error:
        properties["error"] = {"code": "DeploymentFailed", "message": record.error}
    return envelope(record.id, "Microsoft.Resources/deployments", properties)


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "Bool"
    if isinstance(value, int):
        return "Int"
    if isinstance(value, dict):
        return "Object"
    if isinstance(value, list):
        return "Array"
    return "String"


@router.route("PUT", DEPLOYMENT)
def _put_deployment(request: ArmRequest) -> ArmReply:
    """Azure ML's workspace template makes the workspace it names; other templates are refused."""
    body = request.json_object()
    properties = body.get("properties")
    if not isinstance(properties, dict):
        raise ValidationError("A deployment needs 'properties' with 'template' and 'parameters'.")
    if properties.get("templateLink"):
        raise ValidationError(
            "Linked templates (templateLink) are not supported: send the template itself."
        )
    template = properties.get("template")
    if not is_workspace_template(template):
        raise ValidationError(
            "basin deploys one ARM template: Azure ML's workspace template (as azure-ai-ml's "
            "workspaces.begin_create sends it). It has no general template engine: create other "
            "resources with their own PUT calls (azure-mgmt-storage, azure-mgmt-msi, ...)."
        )
    assert isinstance(template, dict)
    group = request.params["group"]
    workspace, values = workspace_from_template(
        request.platform.subscription_id, group, template, properties.get("parameters")
    )
    # The template engine acts with the caller's rights: creating the workspace needs them.
    ws_id = workspaces.workspace_id(request.platform, group, workspace.name)
    authorize(request.platform, request.principal, ws_id, "write")
    record = template_deployments.deploy_workspace(
        request.platform, group, request.params["name"], workspace, values
    )
    return ArmReply(_deployment(record), 201)


@router.route("GET", SHORT_DEPLOYMENT)
@router.route("GET", DEPLOYMENT)
def _get_deployment(request: ArmRequest) -> dict[str, Any]:
    found = template_deployments.get(
        request.platform, request.params["group"], request.params["name"]
    )
    return _deployment(found)


@router.route("GET", SHORT_DEPLOYMENT + "/operations")
@router.route("GET", DEPLOYMENT + "/operations")
def _deployment_operations(request: ArmRequest) -> dict[str, Any]:
    record = template_deployments.get(
        request.platform, request.params["group"], request.params["name"]
    )
    assert record.id is not None
    stamp = system_data(record.created_at).get("createdAt")
    operations = []
    for index, rid in enumerate(record.created_resources):
        parsed = ResourceId.parse(rid)
        operations.append(
            {
                "id": f"{record.id}/operations/{index + 1}",
                "operationId": str(index + 1),
                "properties": {
                    "provisioningOperation": "Create",
                    "provisioningState": "Succeeded",
                    "timestamp": stamp,
                    "duration": duration(round(record.duration_s, 3)),
                    "serviceRequestId": record.name,
                    "statusCode": "OK",
                    "targetResource": {
                        "id": rid,
                        "resourceType": parsed.type,
                        "resourceName": parsed.name,
                    },
                },
            }
        )
    return page(operations)
