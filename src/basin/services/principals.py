"""Users and service principals the admin creates so a team can share a server."""

from __future__ import annotations

import uuid

from basin.entities import PrincipalInfo
from basin.errors import NotFoundError, ValidationError
from basin.services import role_assignments
from basin.services.installation import ADMIN_OBJECT_ID_SETTING, hash_token, new_api_token
from basin.services.platform import Platform
from basin.store import Principal

__all__ = ["KINDS", "create", "delete", "list_principals", "reset_secret"]

#: kinds a person can create here; managed identities are made by their resources.
KINDS = ("User", "ServicePrincipal")


def _info(platform: Platform, principal: Principal, password: str | None = None) -> PrincipalInfo:
    return PrincipalInfo(
        id=principal.object_id,
        app_id=principal.client_id,
        display_name=principal.display_name,
        principal_type=principal.kind,
        tenant=platform.installation.tenant_id,
        password=password,
    )


def create(platform: Platform, display_name: str, kind: str = "ServicePrincipal") -> PrincipalInfo:
    """Create a principal; the answer is the only place its secret ever appears."""
    if kind not in KINDS:
        raise ValidationError(f"A principal's kind must be one of {', '.join(KINDS)}.")
    if not display_name.strip():
        raise ValidationError("--display-name must not be empty.")
    secret = new_api_token()
    principal = Principal(
        str(uuid.uuid4()), kind, display_name, str(uuid.uuid4()), hash_token(secret)
    )
    with platform.store.transaction() as tx:
        tx.put_principal(principal)
    return _info(platform, principal, secret)


def list_principals(platform: Platform) -> list[PrincipalInfo]:
    return [_info(platform, p) for p in platform.store.list_principals() if p.kind in KINDS]


def _find(platform: Platform, ref: str) -> Principal:
    for principal in platform.store.list_principals():
        if ref in (principal.object_id, principal.client_id) and principal.kind in KINDS:
            return principal
    raise NotFoundError(f"No user or service principal has the id or app id '{ref}'.")


def reset_secret(platform: Platform, ref: str) -> PrincipalInfo:
    principal = _find(platform, ref)
    secret = new_api_token()
    principal.token_hash = hash_token(secret)
    with platform.store.transaction() as tx:
        tx.put_principal(principal)
    return _info(platform, principal, secret)


def delete(platform: Platform, ref: str) -> None:
    principal = _find(platform, ref)
    if principal.object_id == platform.store.get_setting(ADMIN_OBJECT_ID_SETTING):
        raise ValidationError("The installation's admin cannot be deleted.")
    with platform.store.transaction() as tx:
        role_assignments.delete_for_principal(tx, principal.object_id)
        tx.delete_principal(principal.object_id)
