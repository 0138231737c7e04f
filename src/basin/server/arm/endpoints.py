"""Online endpoints in ARM's shape (``properties.authMode``: ``Key`` | ``AMLToken``, ``traffic``,
``scoringUri``; ``identity`` as ARM's managed service identity), with ``listKeys``,
``regenerateKeys`` and ``token``.

basin makes an endpoint within the call, so a PUT answers 200 with ``provisioningState:
Succeeded`` and azure-core's poller stops at once.
"""

from __future__ import annotations

import hmac
from typing import Any

from basin.entities import (
    AuthMode,
    EndpointAuthKeys,
    EndpointAuthToken,
    IdentityConfiguration,
    IdentityType,
    ManagedIdentityConfiguration,
    ManagedOnlineEndpoint,
    parse_entity,
)
from basin.errors import NotFoundError, ValidationError
from basin.server.arm import lro
from basin.server.arm._common import ML, WORKSPACE, workspace_for
from basin.server.arm.routing import ArmReply, ArmRequest, ArmRouter
from basin.server.arm.wire import envelope, page, text_map
from basin.services import endpoints, identities
from basin.services.serving import wait_for_removal

__all__ = ["ENDPOINT", "router"]

router = ArmRouter()
ENDPOINTS = WORKSPACE + "/onlineEndpoints"
ENDPOINT = ENDPOINTS + "/{endpoint}"
TYPE = f"{ML}/workspaces/onlineEndpoints"
_AUTH_MODES = {"key": AuthMode.KEY, "amltoken": AuthMode.AML_TOKEN}
_ARM_AUTH = {AuthMode.KEY: "Key", AuthMode.AML_TOKEN: "AMLToken"}


def _identity(request: ArmRequest, identity: IdentityConfiguration | None) -> dict[str, Any]:
    identity = identity or IdentityConfiguration()
    if identity.type == IdentityType.NONE:
        return {"type": "None"}
    if identity.type == IdentityType.SYSTEM_ASSIGNED:
        return {
            "type": "SystemAssigned",
            "principalId": identity.principal_id,
            "tenantId": identity.tenant_id,
        }
    users: dict[str, Any] = {}
    for user in identity.user_assigned_identities or []:
        if not user.resource_id:
            continue
        try:
            found = identities.get_by_id(request.platform, user.resource_id)
            users[user.resource_id] = {
                "principalId": found.principal_id,
                "clientId": found.client_id,
            }
        except NotFoundError:  # deleted since: still listed, without ids
            users[user.resource_id] = {}
    return {
        "type": "UserAssigned",
        "tenantId": request.platform.installation.tenant_id,
        "userAssignedIdentities": users,
    }


def endpoint_body(request: ArmRequest, endpoint: ManagedOnlineEndpoint) -> dict[str, Any]:
    assert endpoint.id is not None
    properties = {
        "authMode": _ARM_AUTH[endpoint.auth_mode],
        "description": endpoint.description,
        "properties": endpoint.properties,
        "scoringUri": endpoint.scoring_uri,
        "swaggerUri": endpoint.openapi_uri,
        "traffic": endpoint.traffic,
        "mirrorTraffic": endpoint.mirror_traffic,
        "provisioningState": endpoint.provisioning_state or "Succeeded",
        "publicNetworkAccess": endpoint.public_network_access or "Enabled",
    }
    return envelope(
        endpoint.id,
        TYPE,
        properties,
        created_at=endpoint.created_at,
        location=endpoint.location,
        tags=endpoint.tags,
        identity=_identity(request, endpoint.identity),
        kind="Managed",
    )


def _identity_from_arm(value: Any) -> IdentityConfiguration | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValidationError("'identity' must be an object with 'type'.")
    kind = str(value.get("type") or "SystemAssigned").replace(",", "").replace(" ", "").lower()
    if kind == "systemassigneduserassigned":
        raise ValidationError(
            "An endpoint takes one kind of identity: SystemAssigned or UserAssigned, not both."
        )
    users = value.get("userAssignedIdentities") or {}
    if not isinstance(users, dict):
        raise ValidationError("'identity.userAssignedIdentities' must map identity ids to {}.")
    if kind == "userassigned":
        configured = [ManagedIdentityConfiguration(resource_id=rid) for rid in users]
        return IdentityConfiguration(
            type=IdentityType.USER_ASSIGNED, user_assigned_identities=configured
        )
    if kind == "none":
        return IdentityConfiguration(type=IdentityType.NONE)
    if kind == "systemassigned":
        return IdentityConfiguration(type=IdentityType.SYSTEM_ASSIGNED)
    raise ValidationError(
        f"'identity.type' must be SystemAssigned, UserAssigned or None, not {value.get('type')!r}."
    )


def _traffic(value: Any, field: str) -> dict[str, int]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError(f"'{field}' must map deployment names to percentages.")
    return dict(value)


def _endpoint_from_arm(request: ArmRequest, body: dict[str, Any]) -> ManagedOnlineEndpoint:
    properties = body.get("properties")
    if not isinstance(properties, dict):
        raise ValidationError("An online endpoint needs 'properties' (at least 'authMode').")
    auth = str(properties.get("authMode") or "Key")
    if auth.lower() == "aadtoken":
        raise ValidationError(
            "authMode AADToken (Microsoft Entra tokens) is not supported: basin's endpoints take "
            "Key or AMLToken."
        )
    if auth.lower() not in _AUTH_MODES:
        raise ValidationError(f"'properties.authMode' must be Key or AMLToken, not {auth!r}.")
    if properties.get("compute"):
        raise ValidationError("Kubernetes online endpoints ('compute') are not supported by basin.")
    fields = {
        "name": request.params["endpoint"],
        "auth_mode": _AUTH_MODES[auth.lower()],
        "description": properties.get("description"),
        "properties": text_map(properties.get("properties"), "properties.properties"),
        "tags": text_map(body.get("tags"), "tags"),
        "traffic": _traffic(properties.get("traffic"), "properties.traffic"),
        "mirror_traffic": _traffic(properties.get("mirrorTraffic"), "properties.mirrorTraffic"),
        "identity": _identity_from_arm(body.get("identity")),
        "public_network_access": properties.get("publicNetworkAccess"),
    }
    return parse_entity(
        ManagedOnlineEndpoint,
        {k: v for k, v in fields.items() if v is not None},
        source="online endpoint",
    )


@router.route("GET", ENDPOINTS)
def _list(request: ArmRequest) -> dict[str, Any]:
    workspace_for(request)
    found = endpoints.list_endpoints(
        request.platform, request.params["group"], request.params["workspace"]
    )
    return page(endpoint_body(request, e) for e in found)


@router.route("GET", ENDPOINT)
def _show(request: ArmRequest) -> dict[str, Any]:
    workspace_for(request)
    p = request.params
    return endpoint_body(
        request, endpoints.get(request.platform, p["group"], p["workspace"], p["endpoint"])
    )


@router.route("PUT", ENDPOINT)
def _create_or_update(request: ArmRequest) -> ArmReply:
    workspace_for(request)
    p = request.params
    existed = any(
        e.name == p["endpoint"]
        for e in endpoints.list_endpoints(request.platform, p["group"], p["workspace"])
    )
    endpoint = _endpoint_from_arm(request, request.json_object())
    made = endpoints.create_or_update(request.platform, p["group"], p["workspace"], endpoint)
    assert made.id is not None
    body = endpoint_body(request, made)
    lro.with_operation_uri(request.platform, body, made.id, request.api_version)
    return ArmReply(body, 200 if existed else 201)


@router.route("PATCH", ENDPOINT)
def _update(request: ArmRequest) -> dict[str, Any]:
    """Tags, and what ``az ml online-endpoint update`` changes (traffic, mirror traffic)."""
    workspace_for(request)
    p = request.params
    body = request.json_object()
    patch: dict[str, Any] = {}
    if "tags" in body:
        patch["tags"] = text_map(body["tags"], "tags")
    properties = body.get("properties") or {}
    if "traffic" in properties:
        patch["traffic"] = _traffic(properties["traffic"], "properties.traffic")
    if "mirrorTraffic" in properties:
        patch["mirror_traffic"] = _traffic(properties["mirrorTraffic"], "properties.mirrorTraffic")
    if "description" in properties:
        patch["description"] = properties["description"]
    updated = endpoints.update(request.platform, p["group"], p["workspace"], p["endpoint"], patch)
    return endpoint_body(request, updated)


@router.route("DELETE", ENDPOINT)
def _delete(request: ArmRequest) -> ArmReply:
    workspace_for(request)
    p = request.params
    gone = endpoints.delete(request.platform, p["group"], p["workspace"], p["endpoint"])
    wait_for_removal(request.state.serving, gone.id)
    return ArmReply(None, 200)


def _credentials(request: ArmRequest) -> EndpointAuthKeys | EndpointAuthToken:
    workspace_for(request)
    p = request.params
    return endpoints.get_credentials(
        request.platform, p["group"], p["workspace"], p["endpoint"], request.principal
    )


@router.route("POST", ENDPOINT + "/listKeys")
def _list_keys(request: ArmRequest) -> dict[str, Any]:
    """The keys: the one call that returns them (key endpoints)."""
    found = _credentials(request)
    if not isinstance(found, EndpointAuthKeys):
        raise ValidationError(
            f"Endpoint '{request.params['endpoint']}' uses AMLToken authentication: it has no keys; "
            "POST …/token for a token."
        )
    return {"primaryKey": found.primary_key, "secondaryKey": found.secondary_key}


@router.route("POST", ENDPOINT + "/token")
def _token(request: ArmRequest) -> dict[str, Any]:
    """A short-lived token for the endpoint's scoring URI (AMLToken endpoints)."""
    found = _credentials(request)
    if not isinstance(found, EndpointAuthToken):
        raise ValidationError(
            f"Endpoint '{request.params['endpoint']}' uses key authentication: POST …/listKeys "
            "for its keys."
        )
    return {
        "accessToken": found.access_token,
        "expiryTimeUtc": found.expiry_time_utc,
        "refreshAfterTimeUtc": found.refresh_after_time_utc,
        "tokenType": found.token_type,
    }


@router.route("POST", ENDPOINT + "/regenerateKeys")
def _regenerate_keys(request: ArmRequest) -> ArmReply:
    """A new random key. azure-ai-ml sends the key's current value as ``keyValue``; a value of
    one's own choosing is not supported."""
    body = request.json_object()
    key_type = str(body.get("keyType") or "Primary")
    given = body.get("keyValue")
    if given:
        current = _credentials(request)
        values = (
            (current.primary_key, current.secondary_key)
            if isinstance(current, EndpointAuthKeys)
            else ()
        )
        index = 0 if key_type.lower() == "primary" else 1
        if len(values) != 2 or not hmac.compare_digest(str(given), values[index]):
            raise ValidationError(
                "Setting a key to a value of your own ('keyValue') is not supported: basin makes "
                "a new random key (leave keyValue out, or send the key's current value)."
            )
    workspace_for(request)
    p = request.params
    endpoints.regenerate_key(request.platform, p["group"], p["workspace"], p["endpoint"], key_type)
    return ArmReply(None, 200)
