"""Long-running operations as azure-core's ARM pollers follow them.

A PUT whose work goes on in the background (a deployment) answers 201 with
``Azure-AsyncOperation`` naming an operation-status URL and a small ``Retry-After``: azure-core
waits that long between polls, and without the header waits 5 s (azure-ai-ml's interval), which
would bury basin's one-second deployments. The status URL carries the resource id itself
(base64url), so it survives a server restart and needs no table; polling it is reading the
resource's ``provisioning_state``. Work that is done when the call returns (most of basin's)
answers 200 with ``provisioningState: Succeeded`` and no header: the poller stops at once.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from basin.errors import NotFoundError, ValidationError
from basin.ids import ResourceId
from basin.server.arm._common import authorize
from basin.server.arm.routing import ArmReply, ArmRequest, ArmRouter
from basin.services.platform import Platform

__all__ = ["RETRY_AFTER_S", "STATUS", "accepted", "router", "with_operation_uri"]

#: Seconds between polls asked of clients (RFC 9110 wants whole seconds).
RETRY_AFTER_S = 1
STATUS = (
    "/subscriptions/{subscription}/providers/Microsoft.MachineLearningServices/locations/"
    "{location}/mfeOperationsStatus/{operation}"
)
_TERMINAL = {"succeeded": "Succeeded", "failed": "Failed", "canceled": "Canceled"}

router = ArmRouter()


def _token(resource_id: str) -> str:
    return base64.urlsafe_b64encode(resource_id.encode()).decode().rstrip("=")


def _resource_of(token: str) -> str:
    try:
        decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        ResourceId.parse(decoded)
    except (binascii.Error, UnicodeDecodeError, ValueError, ValidationError):
        raise NotFoundError(f"Operation '{token[:80]}' was not found.") from None
    return decoded


def status_url(platform: Platform, resource_id: str, api_version: str) -> str:
    sub = ResourceId.parse(resource_id).subscription_id
    path = STATUS.format(
        subscription=sub, location=platform.location, operation=_token(resource_id)
    )
    return f"https://management.azure.com{path}?api-version={api_version or '2024-10-01'}"


def accepted(
    platform: Platform, body: dict[str, Any], resource_id: str, api_version: str
) -> ArmReply:
    """201 with the status URL to poll (the resource's own GET also shows its state)."""
    url = with_operation_uri(platform, body, resource_id, api_version)
    headers = {"Azure-AsyncOperation": url, "Retry-After": str(RETRY_AFTER_S)}
    return ArmReply(body, 201, headers)


def with_operation_uri(
    platform: Platform, body: dict[str, Any], resource_id: str, api_version: str
) -> str:
    """Put the status URL in the PUT's answer as Azure ML does, at
    ``properties.properties.AzureAsyncOperationUri`` (REST scripts such as azureml-examples'
    deploy-rest.sh poll it with curl); returns it."""
    url = status_url(platform, resource_id, api_version)
    properties = body.setdefault("properties", {})
    bag = properties.get("properties")
    properties["properties"] = {
        **(bag if isinstance(bag, dict) else {}),
        "AzureAsyncOperationUri": url,
    }
    return url


def provisioning_state(platform: Platform, resource_id: str) -> tuple[str | None, str | None]:
    """(state, message) of a stored resource; (None, None) when it no longer exists."""
    stored = platform.store.get(resource_id)
    if stored is None:
        return None, None
    body = stored.body
    state = body.get("provisioning_state") or body.get("provisioningState")
    message = body.get("provisioning_message")
    return (str(state) if state else "Succeeded"), message


def _status(request: ArmRequest) -> ArmReply:
    resource_id = _resource_of(request.params["operation"])
    authorize(request.platform, request.principal, resource_id, "read")
    state, message = provisioning_state(request.platform, resource_id)
    if state is None:  # deleted while it was being made
        state, message = "Failed", "The resource was deleted before its operation finished."
    status = _TERMINAL.get(state.lower(), "InProgress")
    body: dict[str, Any] = {
        "id": request.path,
        "name": request.params["operation"],
        "status": status,
    }
    if status == "Failed":
        body["error"] = {
            "code": "DeploymentFailed",
            "message": message or "The operation failed; see the resource's logs.",
        }
    headers = {} if status != "InProgress" else {"Retry-After": str(RETRY_AFTER_S)}
    return ArmReply(body, 200, headers)


_status.authorizes_itself = True  # type: ignore[attr-defined]  # reads the resource's rights
router.add("GET", STATUS, _status)
