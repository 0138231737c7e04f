"""``Microsoft.KeyVault``: vaults in azure-mgmt-keyvault's shape (``properties.vaultUri``,
``tenantId``, ``sku``, ``accessPolicies``, ``enableRbacAuthorization``), their access policies
(``accessPolicies/add|replace|remove``). Secrets are the data plane's (``server/keyvault``)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError as PydanticValidationError

from basin.entities import AccessPolicy, KeyVault
from basin.errors import ValidationError
from basin.server.arm._common import GROUP, SUB, lists_what_it_can_read, readable
from basin.server.arm.routing import ArmReply, ArmRequest, ArmRouter
from basin.server.arm.wire import envelope, page, text_map
from basin.services import key_vaults

__all__ = ["router"]

router = ArmRouter()
VAULTS = "/providers/Microsoft.KeyVault/vaults"
ONE = GROUP + VAULTS + "/{name}"
#: basin's vaults are all of one kind; Azure's default SKU is what they report.
_SKU = {"family": "A", "name": "standard"}


def _vault(found: KeyVault) -> dict[str, Any]:
    assert found.id is not None
    properties = {
        "tenantId": found.tenant_id,
        "sku": _SKU,
        "accessPolicies": [p.model_dump(by_alias=True) for p in found.access_policies],
        "vaultUri": found.vault_uri,
        "enableSoftDelete": found.enable_soft_delete,
        "softDeleteRetentionInDays": found.soft_delete_retention_in_days,
        "enableRbacAuthorization": found.enable_rbac_authorization,
        "provisioningState": "Succeeded",
    }
    return envelope(
        found.id, KeyVault.resource_type, properties, location=found.location, tags=found.tags
    )


def _policies(value: Any) -> list[AccessPolicy]:
    """``properties.accessPolicies`` as entities, or a 400 saying which entry is wrong."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValidationError("'properties.accessPolicies' must be a list of access policies.")
    policies = []
    for index, entry in enumerate(value):
        if not isinstance(entry, dict):
            raise ValidationError(f"'properties.accessPolicies[{index}]' must be an object.")
        kept = {k: v for k, v in entry.items() if k in ("tenantId", "objectId", "permissions")}
        try:
            policies.append(AccessPolicy.model_validate(kept))
        except PydanticValidationError as error:
            fields = ", ".join(".".join(map(str, e["loc"])) for e in error.errors())
            raise ValidationError(
                f"'properties.accessPolicies[{index}]' needs tenantId, objectId and permissions "
                f"(wrong: {fields})."
            ) from None
    return policies


@router.route("GET", SUB + VAULTS)
@lists_what_it_can_read
def _list_all(request: ArmRequest) -> dict[str, Any]:
    found = readable(request, key_vaults.list_vaults(request.platform), lambda item: item.id)
    return page(_vault(item) for item in found)


@router.route("GET", GROUP + VAULTS)
def _list_in_group(request: ArmRequest) -> dict[str, Any]:
    return page(
        _vault(v) for v in key_vaults.list_vaults(request.platform, request.params["group"])
    )


@router.route("PUT", ONE)
def _create_or_update(request: ArmRequest) -> ArmReply:
    """The whole vault (200 when it existed, 201 when new; done at once, so the poller stops)."""
    body = request.json_object()
    properties = body.get("properties")
    if not isinstance(properties, dict):
        raise ValidationError("A vault needs 'properties' (tenantId, sku, accessPolicies).")
    vault, created = key_vaults.put(
        request.platform,
        request.params["group"],
        request.params["name"],
        location=body.get("location") if isinstance(body.get("location"), str) else None,
        tags=text_map(body.get("tags"), "tags"),
        enable_rbac_authorization=properties.get("enableRbacAuthorization") is True,
        retention_days=_retention(properties, 90),
        access_policies=_policies(properties.get("accessPolicies")),
    )
    return ArmReply(_vault(vault), 201 if created else 200)


@router.route("PATCH", ONE)
def _update(request: ArmRequest) -> dict[str, Any]:
    """Tags and the properties given; the others stay."""
    body = request.json_object()
    group, name = request.params["group"], request.params["name"]
    vault = key_vaults.get(request.platform, group, name)
    properties = body.get("properties") or {}
    if not isinstance(properties, dict):
        raise ValidationError("'properties' must be an object.")
    updated, _ = key_vaults.put(
        request.platform,
        group,
        name,
        tags=text_map(body["tags"], "tags") if "tags" in body else vault.tags,
        enable_rbac_authorization=properties.get(
            "enableRbacAuthorization", vault.enable_rbac_authorization
        )
        is True,
        retention_days=_retention(properties, vault.soft_delete_retention_in_days),
        access_policies=_policies(properties["accessPolicies"])
        if "accessPolicies" in properties
        else vault.access_policies,
    )
    return _vault(updated)


@router.route("GET", ONE)
def _show(request: ArmRequest) -> dict[str, Any]:
    return _vault(key_vaults.get(request.platform, request.params["group"], request.params["name"]))


@router.route("DELETE", ONE)
def _delete(request: ArmRequest) -> ArmReply:
    key_vaults.delete(request.platform, request.params["group"], request.params["name"])
    return ArmReply(None, 200)


@router.route("PUT", ONE + "/accessPolicies/{kind:add|replace|remove}")
def _access_policies(request: ArmRequest) -> dict[str, Any]:
    """``vaults.update_access_policy``: add to, replace or remove from the vault's policies."""
    group, name = request.params["group"], request.params["name"]
    vault = key_vaults.get(request.platform, group, name)
    properties = request.json_object().get("properties")
    given = _policies(properties.get("accessPolicies") if isinstance(properties, dict) else None)
    kind = request.params["kind"].lower()
    if kind == "add":  # a principal's permissions add up, as Azure's do
        existing = {p.object_id: p for p in vault.access_policies}
        given = [_merged(existing.get(p.object_id), p) for p in given]
    touched = {p.object_id for p in given}
    kept = [p for p in vault.access_policies if p.object_id not in touched]
    policies = kept if kind == "remove" else [*kept, *given]
    updated, _ = key_vaults.put(
        request.platform,
        group,
        name,
        tags=vault.tags,
        enable_rbac_authorization=vault.enable_rbac_authorization,
        retention_days=vault.soft_delete_retention_in_days,
        access_policies=policies,
    )
    return envelope(
        (updated.id or "") + "/accessPolicies/" + kind,
        "Microsoft.KeyVault/vaults/accessPolicies",
        {"accessPolicies": [p.model_dump(by_alias=True) for p in updated.access_policies]},
    )


def _merged(old: AccessPolicy | None, new: AccessPolicy) -> AccessPolicy:
    if old is None:
        return new
    secrets = list(dict.fromkeys([*old.permissions.secrets, *new.permissions.secrets]))
    return new.model_copy(
        update={"permissions": new.permissions.model_copy(update={"secrets": secrets})}
    )


def _retention(properties: dict[str, Any], default: int) -> int:
    days = properties.get("softDeleteRetentionInDays", default)
    if not isinstance(days, int) or isinstance(days, bool):
        raise ValidationError("'properties.softDeleteRetentionInDays' must be a number of days.")
    return days
