"""Managed online deployments in ARM's shape: ``sku.capacity`` is the instance count;
``properties.model`` / ``environmentId`` / ``codeConfiguration.codeId`` are ARM ids of asset
versions; request settings and probes are ISO 8601 durations; ``scaleSettings`` is ``Default``.

A PUT stores the deployment and answers 201 with ``Azure-AsyncOperation``: the serving controller
provisions it in the background (``lro.py``). ``getLogs`` returns the replicas' output; ``skus``
the one SKU basin has.
"""

from __future__ import annotations

from typing import Any

from basin.entities import (
    CodeConfiguration,
    ManagedOnlineDeployment,
    OnlineRequestSettings,
    ProbeSettings,
    parse_entity,
)
from basin.errors import ValidationError
from basin.server.arm import lro
from basin.server.arm._common import ML, workspace_for
from basin.server.arm.assets import asset_arm_id, reference_from_arm_id
from basin.server.arm.endpoints import ENDPOINT
from basin.server.arm.routing import ArmReply, ArmRequest, ArmRouter
from basin.server.arm.wire import duration, envelope, page, parse_duration, text_map
from basin.services import deployments
from basin.services.serving import wait_for_removal

__all__ = ["router"]

router = ArmRouter()
DEPLOYMENTS = ENDPOINT + "/deployments"
ONE = DEPLOYMENTS + "/{deployment}"
TYPE = f"{ML}/workspaces/onlineEndpoints/deployments"
SKU = "Default"


def _probe(probe: ProbeSettings) -> dict[str, Any]:
    return {
        "initialDelay": duration(probe.initial_delay),
        "period": duration(probe.period),
        "timeout": duration(probe.timeout),
        "successThreshold": probe.success_threshold,
        "failureThreshold": probe.failure_threshold,
    }


def _code_id(request: ArmRequest, code: str) -> str:
    if deployments.is_code_reference(code):
        return asset_arm_id(request, "codes", code) or code
    return code


def deployment_body(request: ArmRequest, deployment: ManagedOnlineDeployment) -> dict[str, Any]:
    assert deployment.id is not None
    settings = deployment.request_settings
    code = deployment.code_configuration
    model = deployment.model if isinstance(deployment.model, str) else None
    environment = deployment.environment if isinstance(deployment.environment, str) else None
    properties: dict[str, Any] = {
        "endpointComputeType": "Managed",
        "description": deployment.description,
        "properties": deployment.properties,
        "model": asset_arm_id(request, "models", model),
        "environmentId": asset_arm_id(request, "environments", environment),
        "codeConfiguration": (
            {"codeId": _code_id(request, code.code), "scoringScript": code.scoring_script}
            if code
            else None
        ),
        "environmentVariables": deployment.environment_variables,
        "instanceType": deployment.instance_type,
        "modelMountPath": deployment.model_mount_path,
        "appInsightsEnabled": deployment.app_insights_enabled,
        "egressPublicNetworkAccess": deployment.egress_public_network_access or "Enabled",
        "scaleSettings": {"scaleType": "Default"},
        "requestSettings": {
            "requestTimeout": duration(settings.request_timeout_ms / 1000),
            "maxConcurrentRequestsPerInstance": settings.max_concurrent_requests_per_instance,
            "maxQueueWait": duration(settings.max_queue_wait_ms / 1000),
        },
        "livenessProbe": _probe(deployment.liveness_probe),
        "readinessProbe": _probe(deployment.readiness_probe),
        "provisioningState": deployment.provisioning_state or "Succeeded",
    }
    if deployment.provisioning_message and deployment.provisioning_state == "Failed":
        properties["error"] = {
            "code": "DeploymentFailed",
            "message": deployment.provisioning_message,
        }
    return envelope(
        deployment.id,
        TYPE,
        properties,
        created_at=deployment.created_at,
        location=request.platform.location,
        tags=deployment.tags,
        sku={"name": SKU, "tier": "Standard", "capacity": deployment.instance_count},
        kind="Managed",
    )


def _probe_from_arm(value: Any, field: str) -> ProbeSettings:
    if value is None:
        return ProbeSettings()
    if not isinstance(value, dict):
        raise ValidationError(f"'{field}' must be an object.")
    fields: dict[str, Any] = {}
    for arm, name in (
        ("initialDelay", "initial_delay"),
        ("period", "period"),
        ("timeout", "timeout"),
    ):
        if value.get(arm) is not None:
            fields[name] = max(round(parse_duration(value[arm], f"{field}.{arm}")), 0)
    for arm, name in (
        ("successThreshold", "success_threshold"),
        ("failureThreshold", "failure_threshold"),
    ):
        if value.get(arm) is not None:
            fields[name] = value[arm]
    return parse_entity(ProbeSettings, fields, source=field)


def _request_settings(value: Any) -> OnlineRequestSettings:
    if value is None:
        return OnlineRequestSettings()
    if not isinstance(value, dict):
        raise ValidationError("'properties.requestSettings' must be an object.")
    fields: dict[str, Any] = {}
    if value.get("requestTimeout") is not None:
        seconds = parse_duration(
            value["requestTimeout"], "properties.requestSettings.requestTimeout"
        )
        fields["request_timeout_ms"] = round(seconds * 1000)
    if value.get("maxQueueWait") is not None:
        seconds = parse_duration(value["maxQueueWait"], "properties.requestSettings.maxQueueWait")
        fields["max_queue_wait_ms"] = round(seconds * 1000)
    if value.get("maxConcurrentRequestsPerInstance") is not None:
        fields["max_concurrent_requests_per_instance"] = value["maxConcurrentRequestsPerInstance"]
    return parse_entity(OnlineRequestSettings, fields, source="properties.requestSettings")


def _deployment_from_arm(request: ArmRequest, body: dict[str, Any]) -> ManagedOnlineDeployment:
    properties = body.get("properties")
    if not isinstance(properties, dict):
        raise ValidationError("An online deployment needs 'properties'.")
    compute = str(properties.get("endpointComputeType") or "Managed")
    if compute.lower() != "managed":
        raise ValidationError(
            f"endpointComputeType '{compute}' is not supported: basin runs Managed deployments."
        )
    scale = properties.get("scaleSettings")
    if isinstance(scale, dict) and str(scale.get("scaleType", "Default")).lower() != "default":
        raise ValidationError("scaleSettings.scaleType must be Default (a fixed sku.capacity).")
    sku = body.get("sku") or {}
    if not isinstance(sku, dict):
        raise ValidationError("'sku' must be an object with 'capacity'.")
    code = properties.get("codeConfiguration")
    code_configuration = None
    if code is not None:
        if not isinstance(code, dict) or not code.get("codeId") or not code.get("scoringScript"):
            raise ValidationError(
                "'properties.codeConfiguration' needs 'codeId' (a code version) and 'scoringScript'."
            )
        code_configuration = CodeConfiguration(
            code=reference_from_arm_id(request, "codes", code["codeId"], "codeConfiguration.codeId")
            or "",
            scoring_script=str(code["scoringScript"]),
        )
    fields: dict[str, Any] = {
        "name": request.params["deployment"],
        "endpoint_name": request.params["endpoint"],
        "description": properties.get("description"),
        "tags": text_map(body.get("tags"), "tags"),
        "properties": text_map(properties.get("properties"), "properties.properties"),
        "model": reference_from_arm_id(
            request, "models", properties.get("model"), "properties.model"
        ),
        "environment": reference_from_arm_id(
            request, "environments", properties.get("environmentId"), "properties.environmentId"
        ),
        "code_configuration": code_configuration,
        "environment_variables": properties.get("environmentVariables") or {},
        "instance_type": properties.get("instanceType"),
        "instance_count": sku.get("capacity", 1),
        "app_insights_enabled": bool(properties.get("appInsightsEnabled")),
        "model_mount_path": properties.get("modelMountPath"),
        "egress_public_network_access": properties.get("egressPublicNetworkAccess"),
        "request_settings": _request_settings(properties.get("requestSettings")),
        "liveness_probe": _probe_from_arm(
            properties.get("livenessProbe"), "properties.livenessProbe"
        ),
        "readiness_probe": _probe_from_arm(
            properties.get("readinessProbe"), "properties.readinessProbe"
        ),
        "data_collector": properties.get("dataCollector"),
    }
    return parse_entity(
        ManagedOnlineDeployment,
        {k: v for k, v in fields.items() if v is not None},
        source="online deployment",
    )


def _names(request: ArmRequest) -> tuple[str, str, str]:
    p = request.params
    return p["group"], p["workspace"], p["endpoint"]


@router.route("GET", DEPLOYMENTS)
def _list(request: ArmRequest) -> dict[str, Any]:
    workspace_for(request)
    found = deployments.list_deployments(request.platform, *_names(request))
    return page(deployment_body(request, d) for d in found)


@router.route("GET", ONE)
def _show(request: ArmRequest) -> dict[str, Any]:
    workspace_for(request)
    found = deployments.get(request.platform, *_names(request), request.params["deployment"])
    return deployment_body(request, found)


@router.route("PUT", ONE)
def _create_or_update(request: ArmRequest) -> ArmReply:
    """Stored now, provisioned in the background: 201 and an operation to poll."""
    workspace_for(request)
    deployment = _deployment_from_arm(request, request.json_object())
    stored = deployments.create_or_update(request.platform, *_names(request), deployment)
    assert stored.id is not None
    body = deployment_body(request, stored)
    return lro.accepted(request.platform, body, stored.id, request.api_version)


@router.route("PATCH", ONE)
def _update(request: ArmRequest) -> ArmReply:
    """``sku.capacity`` (scale) and ``tags``; provisioning follows as for a PUT."""
    workspace_for(request)
    body = request.json_object()
    current = deployments.get(request.platform, *_names(request), request.params["deployment"])
    changes: dict[str, Any] = {}
    if "tags" in body:
        changes["tags"] = text_map(body["tags"], "tags")
    sku = body.get("sku")
    if isinstance(sku, dict) and sku.get("capacity") is not None:
        changes["instance_count"] = sku["capacity"]
    updated = parse_entity(
        ManagedOnlineDeployment, current.to_dict() | changes, source="online deployment"
    )
    stored = deployments.create_or_update(request.platform, *_names(request), updated)
    assert stored.id is not None
    return lro.accepted(
        request.platform, deployment_body(request, stored), stored.id, request.api_version
    )


@router.route("DELETE", ONE)
def _delete(request: ArmRequest) -> ArmReply:
    workspace_for(request)
    gone = deployments.delete(request.platform, *_names(request), request.params["deployment"])
    wait_for_removal(request.state.serving, gone.id)
    return ArmReply(None, 200)


@router.route("POST", ONE + "/getLogs")
def _get_logs(request: ArmRequest) -> dict[str, Any]:
    """``{"containerType": "InferenceServer", "tail": N}`` -> the replicas' output."""
    workspace_for(request)
    body = request.json_object()
    container = str(body.get("containerType") or "InferenceServer")
    if container.lower() not in ("inferenceserver", "storageinitializer"):
        raise ValidationError("containerType must be InferenceServer or StorageInitializer.")
    current = deployments.get(request.platform, *_names(request), request.params["deployment"])
    tail = body.get("tail") or 5000
    if not isinstance(tail, int) or isinstance(tail, bool) or tail < 1:
        raise ValidationError("'tail' must be a positive number of lines.")
    serving = request.state.serving
    if container.lower() == "storageinitializer" or serving is None:
        # basin copies model and code before the replica starts; nothing else runs.
        return {"content": ""}
    return {"content": serving.logs(current.id, tail)}


@router.route("GET", ONE + "/skus")
def _skus(request: ArmRequest) -> dict[str, Any]:
    workspace_for(request)
    deployments.get(request.platform, *_names(request), request.params["deployment"])
    return page(
        [
            {
                "resourceType": TYPE,
                "sku": {"name": SKU, "tier": "Standard"},
                "capacity": {"minimum": 0, "maximum": 100, "default": 1, "scaleType": "Manual"},
            }
        ]
    )
