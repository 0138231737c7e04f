"""``Microsoft.ManagedIdentity``: user-assigned identities, in azure-mgmt-msi's shape
(``properties.principalId``, ``clientId``, ``tenantId``)."""

from __future__ import annotations

from typing import Any

from basin.entities import ManagedIdentityResource
from basin.server.arm._common import GROUP, SUB, lists_what_it_can_read, readable
from basin.server.arm.routing import ArmReply, ArmRequest, ArmRouter
from basin.server.arm.wire import envelope, page, text_map
from basin.services import identities

__all__ = ["router"]

router = ArmRouter()
IDENTITIES = "/providers/Microsoft.ManagedIdentity/userAssignedIdentities"
ONE = GROUP + IDENTITIES + "/{name}"


def _identity(found: ManagedIdentityResource) -> dict[str, Any]:
    assert found.id is not None
    properties = {
        "principalId": found.principal_id,
        "clientId": found.client_id,
        "tenantId": found.tenant_id,
    }
    return envelope(
        found.id,
        "Microsoft.ManagedIdentity/userAssignedIdentities",
        properties,
        location=found.location,
        tags=found.tags,
    )


@router.route("GET", SUB + IDENTITIES)
@lists_what_it_can_read
def _list_all(request: ArmRequest) -> dict[str, Any]:
    found = readable(request, identities.list_identities(request.platform), lambda item: item.id)
    return page(_identity(item) for item in found)


@router.route("GET", GROUP + IDENTITIES)
def _list_in_group(request: ArmRequest) -> dict[str, Any]:
    found = identities.list_identities(request.platform, request.params["group"])
    return page(_identity(i) for i in found)


@router.route("PUT", ONE)
def _create(request: ArmRequest) -> ArmReply:
    """Create; an existing identity keeps its principal and gets the tags (Azure's PUT)."""
    tags = text_map(request.json_object().get("tags"), "tags")
    group, name = request.params["group"], request.params["name"]
    if any(i.name == name for i in identities.list_identities(request.platform, group)):
        return ArmReply(_identity(identities.set_tags(request.platform, group, name, tags)), 200)
    return ArmReply(_identity(identities.create(request.platform, group, name, tags)), 201)


@router.route("PATCH", ONE)
def _update(request: ArmRequest) -> dict[str, Any]:
    body = request.json_object()
    group, name = request.params["group"], request.params["name"]
    if "tags" not in body:
        return _identity(identities.get(request.platform, group, name))
    return _identity(
        identities.set_tags(request.platform, group, name, text_map(body["tags"], "tags"))
    )


@router.route("GET", ONE)
def _show(request: ArmRequest) -> dict[str, Any]:
    return _identity(
        identities.get(request.platform, request.params["group"], request.params["name"])
    )


@router.route("DELETE", ONE)
def _delete(request: ArmRequest) -> ArmReply:
    identities.delete(request.platform, request.params["group"], request.params["name"])
    return ArmReply(None, 200)
