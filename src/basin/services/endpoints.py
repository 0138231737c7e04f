"""Online endpoints: identity (immutable), keys or tokens, traffic and mirror traffic."""

from __future__ import annotations

import base64
import os
import time
import uuid
from typing import Any

from basin.entities import (
    AuthMode,
    EndpointAuthKeys,
    EndpointAuthToken,
    IdentityConfiguration,
    IdentityType,
    ManagedIdentityConfiguration,
    ManagedOnlineDeployment,
    ManagedOnlineEndpoint,
    parse_entity,
)
from basin.errors import ConflictError, ImmutableFieldError, NotFoundError, ValidationError
from basin.identity import ManagedIdentity
from basin.identity import Principal as TokenPrincipal
from basin.identity.endpoint_tokens import verify_endpoint_token
from basin.ids import ResourceId, id_key, validate_name
from basin.services import cascade, identities, role_assignments, workspaces
from basin.services._resources import from_stored, to_stored
from basin.services.platform import Platform
from basin.store import Principal, Transaction

__all__ = [
    "CHANGED",
    "SYSTEM_ROLES",
    "create_or_update",
    "delete",
    "endpoint_id",
    "get",
    "get_credentials",
    "identity_of",
    "list_endpoints",
    "regenerate_key",
    "scoring_uri",
    "verify_token",
]

TYPE = ManagedOnlineEndpoint.resource_type
DEPLOYMENT_TYPE = ManagedOnlineDeployment.resource_type
KEY_NAMES = ("primary", "secondary")
TOKEN_LIFETIME_S = 3600
#: What a deployment's identity needs on the workspace's resources (as in Azure ML), and what a
#: system-assigned identity is given automatically: role -> workspace field of the scope.
SYSTEM_ROLES = (("AcrPull", "container_registry"), ("Storage Blob Data Reader", "storage_account"))

#: The event published (with the endpoint id) whenever an endpoint or its deployments change.
CHANGED = "endpoint-changed"


def endpoint_id(workspace_id: str, name: str) -> str:
    return f"{workspace_id}/onlineEndpoints/{name}"


def scoring_uri(platform: Platform, name: str) -> str:
    return f"{platform.gateway_endpoint}/endpoints/{name}/score"


def _new_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


def _check_user_identities(
    platform: Platform, identity: IdentityConfiguration
) -> list[ManagedIdentityConfiguration]:
    given = identity.user_assigned_identities or []
    if not given:
        raise ValidationError(
            "identity.type is user_assigned but no user_assigned_identities are given: list them "
            "as [{resource_id: /subscriptions/…/userAssignedIdentities/<name>}]."
        )
    resolved = []
    for item in given:
        if not item.resource_id:
            raise ValidationError("Each user-assigned identity needs its 'resource_id'.")
        found = identities.get_by_id(platform, item.resource_id)
        resolved.append(
            ManagedIdentityConfiguration(
                resource_id=found.id,
                client_id=found.client_id,
                object_id=found.principal_id,
                principal_id=found.principal_id,
            )
        )
    return resolved


def _grant_system_roles(
    platform: Platform, tx: Transaction, principal_id: str, workspace: Any, owner: str
) -> None:
    for role, field in SYSTEM_ROLES:
        scope = getattr(workspace, field)
        if scope:
            role_assignments.insert(
                platform, tx, principal_id, role, scope, "ServicePrincipal", owner=owner
            )


def _deployments(tx: Transaction, endpoint_rid: str) -> set[str]:
    return {row.name for row in tx.list(type=DEPLOYMENT_TYPE, under=endpoint_rid)}


def _validate_traffic(tx: Transaction, rid: str, endpoint: ManagedOnlineEndpoint) -> None:
    total = sum(endpoint.traffic.values())
    if total > 100:
        raise ValidationError(
            f"traffic adds up to {total}%: it must be at most 100 (e.g. blue=90 green=10)."
        )
    if total not in (0, 100):
        # The gateway routes a whole split only: a partial one would drop requests unseen.
        raise ValidationError(
            f"traffic adds up to {total}%: live traffic must add up to 100 (e.g. blue=90 "
            "green=10), or to 0 to send no live traffic."
        )
    names = {row.name for row in tx.list(type=DEPLOYMENT_TYPE, under=rid)}
    for field in ("traffic", "mirror_traffic"):
        for deployment, percent in getattr(endpoint, field).items():
            if percent and deployment not in names:
                known = ", ".join(sorted(names)) or "none yet"
                raise ValidationError(
                    f"{field} names deployment '{deployment}', which does not exist (deployments: {known})."
                )
    if len(endpoint.mirror_traffic) > 1:
        raise ValidationError("mirror_traffic may name one deployment only.")
    for deployment, percent in endpoint.mirror_traffic.items():
        if percent > 50:
            raise ValidationError("mirror_traffic may copy at most 50% of the requests.")
        if endpoint.traffic.get(deployment):
            raise ValidationError(
                f"Deployment '{deployment}' takes live traffic; it cannot also be the mirror target."
            )


def create_or_update(
    platform: Platform, group: str, workspace_name: str, endpoint: ManagedOnlineEndpoint
) -> ManagedOnlineEndpoint:
    validate_name("endpoint", endpoint.name)
    workspace = workspaces.get(platform, group, workspace_name)
    assert workspace.id is not None
    rid = endpoint_id(workspace.id, endpoint.name)
    identity = endpoint.identity or IdentityConfiguration()
    with platform.store.transaction() as tx:
        existing = tx.get(rid)
        if existing is None:
            clash = [
                r for r in tx.list(type=TYPE, name=endpoint.name) if id_key(r.id) != id_key(rid)
            ]
            if clash:
                raise ConflictError(
                    f"An endpoint named '{endpoint.name}' exists already ({clash[0].id}); endpoint "
                    "names are unique on a server, as their scoring URIs are. Choose another name."
                )
            if identity.type == IdentityType.USER_ASSIGNED:
                identity = identity.model_copy(
                    update={"user_assigned_identities": _check_user_identities(platform, identity)}
                )
            if identity.type == IdentityType.SYSTEM_ASSIGNED:
                # A new principal every time: an endpoint made again with the same name must
                # not inherit grants given to its predecessor (as in Azure).
                principal_id = str(uuid.uuid4())
                identity = identity.model_copy(
                    update={
                        "principal_id": principal_id,
                        "tenant_id": platform.installation.tenant_id,
                    }
                )
                tx.put_principal(
                    Principal(
                        principal_id,
                        "ManagedIdentity",
                        f"{endpoint.name} (system-assigned)",
                        principal_id,
                        owner=rid,
                    )
                )
                _grant_system_roles(platform, tx, principal_id, workspace, rid)
            for name in KEY_NAMES:
                platform.vault.put(tx, rid, name, _new_key())
        else:
            current = from_stored(ManagedOnlineEndpoint, existing)
            if endpoint.identity is not None and _identity_key(endpoint.identity) != _identity_key(
                current.identity
            ):
                raise ImmutableFieldError(
                    "An endpoint's identity cannot change after it is created; delete the "
                    "endpoint and create it again with the identity you want."
                )
            identity = current.identity or identity
        result = endpoint.model_copy(
            update={
                "id": rid,
                "identity": identity,
                "location": workspace.location or platform.location,  # its group's
                "provisioning_state": "Succeeded",
                "scoring_uri": scoring_uri(platform, endpoint.name),
                "openapi_uri": f"{platform.gateway_endpoint}/endpoints/{endpoint.name}/swagger.json",
                "kind": "Managed",
                # az keeps a deployment at 0% in traffic ("blue=0 green=100"); a 0% entry that
                # names no deployment goes; a mirror at 0% is no mirror (how the examples end
                # one: --mirror-traffic "green=0").
                "traffic": {
                    k: v for k, v in endpoint.traffic.items() if v or k in _deployments(tx, rid)
                },
                "mirror_traffic": {k: v for k, v in endpoint.mirror_traffic.items() if v},
                "created_at": None,
            }
        )
        _validate_traffic(tx, rid, result)
        if existing is None:
            stored = tx.insert(to_stored(result, rid, TYPE))
        else:
            existing.body = to_stored(result, rid, TYPE).body
            stored = tx.update(existing)
    platform.events.publish(CHANGED, rid)
    return _present(platform, from_stored(ManagedOnlineEndpoint, stored))


def _identity_key(identity: IdentityConfiguration | None) -> tuple[str, tuple[str, ...]]:
    identity = identity or IdentityConfiguration()
    ids = tuple(
        sorted(id_key(i.resource_id or "") for i in identity.user_assigned_identities or [])
    )
    return identity.type.value, ids


def update(
    platform: Platform, group: str, workspace_name: str, name: str, patch: dict[str, Any]
) -> ManagedOnlineEndpoint:
    current = get(platform, group, workspace_name, name)
    merged = current.to_dict() | patch
    return create_or_update(
        platform,
        group,
        workspace_name,
        parse_entity(ManagedOnlineEndpoint, merged, source="endpoint update"),
    )


def _present(platform: Platform, endpoint: ManagedOnlineEndpoint) -> ManagedOnlineEndpoint:
    """URIs are made from where the gateway listens now (it may move between server starts)."""
    return endpoint.model_copy(
        update={
            "scoring_uri": scoring_uri(platform, endpoint.name),
            "openapi_uri": f"{platform.gateway_endpoint}/endpoints/{endpoint.name}/swagger.json",
        }
    )


def get(platform: Platform, group: str, workspace_name: str, name: str) -> ManagedOnlineEndpoint:
    workspace = workspaces.get(platform, group, workspace_name)
    assert workspace.id is not None
    stored = platform.store.get(endpoint_id(workspace.id, name))
    if stored is None:
        raise NotFoundError(
            f"Online endpoint '{name}' was not found in workspace '{workspace_name}'."
        )
    return _present(platform, from_stored(ManagedOnlineEndpoint, stored))


def list_endpoints(
    platform: Platform, group: str, workspace_name: str
) -> list[ManagedOnlineEndpoint]:
    workspace = workspaces.get(platform, group, workspace_name)
    assert workspace.id is not None
    rows = platform.store.list(type=TYPE, under=workspace.id)
    return [_present(platform, from_stored(ManagedOnlineEndpoint, r)) for r in rows]


def delete(platform: Platform, group: str, workspace_name: str, name: str) -> ManagedOnlineEndpoint:
    """Delete the endpoint and everything under it and owned by it (its system identity and
    that identity's role assignments, its replicas' MSI bindings); its replicas stop."""
    endpoint = get(platform, group, workspace_name, name)
    assert endpoint.id is not None
    cascade.delete(platform, endpoint.id)
    return endpoint


def register_cascade(registry: cascade.Cascade) -> None:
    """A deleted endpoint's replicas stop: the serving controller hears of it."""
    registry.after_delete(TYPE, lambda platform, row: platform.events.publish(CHANGED, row.id))


def keys(platform: Platform, endpoint_id_: str) -> tuple[str, str]:
    values = [platform.vault.get(platform.store, endpoint_id_, name) or "" for name in KEY_NAMES]
    return values[0], values[1]


def get_credentials(
    platform: Platform, group: str, workspace_name: str, name: str, caller: Principal
) -> EndpointAuthKeys | EndpointAuthToken:
    """The keys (key auth) or a short-lived token for this endpoint (aml_token auth)."""
    endpoint = get(platform, group, workspace_name, name)
    assert endpoint.id is not None
    if endpoint.auth_mode == AuthMode.KEY:
        primary, secondary = keys(platform, endpoint.id)
        return EndpointAuthKeys(primary_key=primary, secondary_key=secondary)
    assert platform.tokens is not None and endpoint.scoring_uri
    issued = platform.tokens.issue_for_endpoint(
        TokenPrincipal(
            object_id=caller.object_id, client_id=caller.client_id, display_name=caller.display_name
        ),
        endpoint.scoring_uri,
        lifetime=TOKEN_LIFETIME_S,
    )
    now = int(time.time())
    return EndpointAuthToken(
        access_token=issued.token,
        expiry_time_utc=issued.expires_on,
        refresh_after_time_utc=now + TOKEN_LIFETIME_S // 2,
    )


def verify_token(platform: Platform, name: str, token: str) -> None:
    """Accept a token issued by get_credentials for this endpoint (its scoring URI is the audience)."""
    assert platform.tokens is not None
    verify_endpoint_token(platform.tokens, token, scoring_uri(platform, name))


def regenerate_key(
    platform: Platform, group: str, workspace_name: str, name: str, key_type: str
) -> None:
    if key_type.lower() not in KEY_NAMES:
        raise ValidationError(f"--key-type must be primary or secondary, not '{key_type}'.")
    endpoint = get(platform, group, workspace_name, name)
    assert endpoint.id is not None
    if endpoint.auth_mode != AuthMode.KEY:
        raise ValidationError(
            f"Endpoint '{name}' uses {endpoint.auth_mode.value} authentication: it has no keys."
        )
    with platform.store.transaction() as tx:
        platform.vault.put(tx, endpoint.id, key_type.lower(), _new_key())
    platform.events.publish(CHANGED, endpoint.id)


def identity_of(endpoint: ManagedOnlineEndpoint) -> tuple[ManagedIdentity | None, list[str]]:
    """(the system-assigned identity, the user-assigned identity ids) of an endpoint."""
    identity = endpoint.identity or IdentityConfiguration()
    system = None
    if identity.type == IdentityType.SYSTEM_ASSIGNED and identity.principal_id and endpoint.id:
        system = ManagedIdentity(
            identity.principal_id, identity.principal_id, endpoint.id, system_assigned=True
        )
    users = [i.resource_id for i in identity.user_assigned_identities or [] if i.resource_id]
    return system, users


def workspace_of(endpoint_id_: str) -> tuple[str, str]:
    """(resource group, workspace name) of an endpoint id."""
    parsed = ResourceId.parse(endpoint_id_)
    assert parsed.resource_group is not None
    return parsed.resource_group, parsed.names[0]
