"""``…/onlineEndpoints/{endpoint}/deployments[/{name}[/getLogs|/export]]``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request, Response

from basin.compute import InstanceTypes
from basin.entities import ManagedOnlineDeployment, parse_entity
from basin.errors import ValidationError
from basin.server.routes._common import WORKSPACE, listing, platform_for, workspace_for
from basin.services import deployments, kubernetes
from basin.services.serving import wait_for_removal

router = APIRouter()

DEPLOYMENTS = WORKSPACE + "/onlineEndpoints/{endpoint}/deployments"
ONE = DEPLOYMENTS + "/{name}"


@router.get(DEPLOYMENTS)
def list_all(
    request: Request, subscription_id: str, group: str, workspace: str, endpoint: str
) -> dict[str, Any]:
    workspace_for(request, subscription_id, group, workspace)
    return listing(
        deployments.list_deployments(
            platform_for(request, subscription_id), group, workspace, endpoint
        )
    )


@router.put(ONE)
def create_or_update(
    request: Request,
    subscription_id: str,
    group: str,
    workspace: str,
    endpoint: str,
    name: str,
    body: dict[str, Any] = Body(),
) -> dict[str, Any]:
    """Stores the deployment and starts provisioning it; poll GET for provisioning_state."""
    workspace_for(request, subscription_id, group, workspace)
    deployment = parse_entity(
        ManagedOnlineDeployment, {**body, "name": name}, source="online deployment"
    )
    platform = platform_for(request, subscription_id)
    return deployments.create_or_update(platform, group, workspace, endpoint, deployment).to_dict()


@router.get(ONE)
def show(
    request: Request, subscription_id: str, group: str, workspace: str, endpoint: str, name: str
) -> dict[str, Any]:
    workspace_for(request, subscription_id, group, workspace)
    return deployments.get(
        platform_for(request, subscription_id), group, workspace, endpoint, name
    ).to_dict()


@router.delete(ONE)
def delete(
    request: Request, subscription_id: str, group: str, workspace: str, endpoint: str, name: str
) -> Response:
    workspace_for(request, subscription_id, group, workspace)
    platform = platform_for(request, subscription_id)
    gone = deployments.delete(platform, group, workspace, endpoint, name)
    wait_for_removal(request.app.state.serving, gone.id)
    return Response(status_code=200)


@router.post(ONE + "/getLogs")
def get_logs(
    request: Request,
    subscription_id: str,
    group: str,
    workspace: str,
    endpoint: str,
    name: str,
    body: dict[str, Any] = Body({}),
) -> dict[str, Any]:
    """``{"tail": N, "containerType": "InferenceServer|StorageInitializer"}`` ->
    ``{"content": "..."}``: the replicas' output (init() logs included), or what the storage
    initializer laid out for them."""
    workspace_for(request, subscription_id, group, workspace)
    platform = platform_for(request, subscription_id)
    current = deployments.get(platform, group, workspace, endpoint, name)
    lines = int(body.get("tail") or 5000)
    container = str(body.get("containerType") or "InferenceServer")
    if container.lower() not in ("inferenceserver", "storageinitializer"):
        raise ValidationError(
            f"containerType '{container}' is not a container of a deployment: "
            "InferenceServer or StorageInitializer."
        )
    serving = request.app.state.serving
    return {"content": serving.logs(current.id, lines, container) if serving is not None else ""}


@router.post(ONE + "/export")
def export(
    request: Request,
    subscription_id: str,
    group: str,
    workspace: str,
    endpoint: str,
    name: str,
    body: dict[str, Any] = Body({}),
) -> dict[str, Any]:
    """``{"format": "kubernetes", "image": optional}`` -> ``{"manifests": [...]}``."""
    workspace_for(request, subscription_id, group, workspace)
    platform = platform_for(request, subscription_id)
    current = deployments.get(platform, group, workspace, endpoint, name)
    wanted = body.get("format") or "kubernetes"
    if wanted not in kubernetes.FORMATS:
        raise ValidationError(
            f"Unknown export format '{wanted}'; known: {', '.join(kubernetes.FORMATS)}."
        )
    image = body.get("image")
    if image is not None and not isinstance(image, str):
        raise ValidationError("'image' must be a container image reference (text).")
    serving = request.app.state.serving
    types = serving.instance_types if serving is not None else InstanceTypes()
    manifests = kubernetes.kubernetes_manifests(
        current, endpoint, types.resources(current.instance_type), image
    )
    return {"format": wanted, "manifests": manifests}
