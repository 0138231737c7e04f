"""``…/providers/Microsoft.KeyVault/vaults[/{name}[/accessPolicies/{kind}]]``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request, Response

from basin.errors import ValidationError
from basin.server.routes._common import GROUP, SUB, listing, platform_for
from basin.services import key_vaults

router = APIRouter()

VAULTS = "/providers/Microsoft.KeyVault/vaults"
ONE = GROUP + VAULTS + "/{name}"


def _property(body: dict[str, Any], name: str, default: Any) -> Any:
    """A field given flat (as basin prints it) or under ``properties`` (as ARM takes it)."""
    properties = body.get("properties") or {}
    return body.get(name, properties.get(name, default))


@router.get(SUB + VAULTS)
def list_all(request: Request, subscription_id: str) -> dict[str, Any]:
    return listing(key_vaults.list_vaults(platform_for(request, subscription_id)))


@router.get(GROUP + VAULTS)
def list_in_group(request: Request, subscription_id: str, group: str) -> dict[str, Any]:
    return listing(key_vaults.list_vaults(platform_for(request, subscription_id), group))


@router.put(ONE, status_code=201)
def create(
    request: Request, subscription_id: str, group: str, name: str, body: dict[str, Any] = Body({})
) -> dict[str, Any]:
    platform = platform_for(request, subscription_id)
    rbac = _property(body, "enableRbacAuthorization", True)
    days = _property(body, "softDeleteRetentionInDays", 90)
    if not isinstance(rbac, bool) or not isinstance(days, int):
        raise ValidationError(
            "enableRbacAuthorization must be true or false, softDeleteRetentionInDays a number."
        )
    return key_vaults.create(
        platform, group, name,
        tags=body.get("tags"), enable_rbac_authorization=rbac, retention_days=days,
        creator_object_id=request.state.principal.object_id,
    ).to_dict()  # fmt: skip


@router.get(ONE)
def show(request: Request, subscription_id: str, group: str, name: str) -> dict[str, Any]:
    return key_vaults.get(platform_for(request, subscription_id), group, name).to_dict()


@router.delete(ONE)
def delete(request: Request, subscription_id: str, group: str, name: str) -> Response:
    key_vaults.delete(platform_for(request, subscription_id), group, name)
    return Response(status_code=200)


@router.put(ONE + "/accessPolicies/{kind}")
def access_policies(
    request: Request,
    subscription_id: str,
    group: str,
    name: str,
    kind: str,
    body: dict[str, Any] = Body(),
) -> dict[str, Any]:
    """ARM's ``accessPolicies/{add|replace|remove}`` with secret permissions."""
    platform = platform_for(request, subscription_id)
    if kind not in ("add", "replace", "remove"):
        raise ValidationError("The access-policy operation is add, replace or remove.")
    policies = _property(body, "accessPolicies", [])
    if not isinstance(policies, list) or not all(isinstance(p, dict) for p in policies):
        raise ValidationError("accessPolicies must be a list of {objectId, permissions}.")
    vault = key_vaults.get(platform, group, name)
    for policy in policies:
        object_id = str(policy.get("objectId", ""))
        if kind == "remove":
            vault = key_vaults.delete_policy(platform, group, name, object_id)
        else:
            secrets = (policy.get("permissions") or {}).get("secrets") or []
            vault = key_vaults.set_policy(platform, group, name, object_id, list(secrets))
    return vault.to_dict()
