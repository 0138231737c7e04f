"""Managed-identity bindings: a per-replica secret that stands for one endpoint's identities.

A binding is stored under the hash of its secret (``Basin/msiBindings/<sha256>``), so the token
route finds it in one read and the secret itself is never stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from basin.errors import AuthenticationError, ServiceUnavailableError, ValidationError
from basin.identity import (
    EndpointIdentities,
    ManagedIdentity,
    MsiResponse,
    answer_msi_request,
    hash_msi_secret,
    msi_error_response,
    new_msi_secret,
)
from basin.services import identities
from basin.services.platform import Platform
from basin.store import StoredResource

__all__ = ["BINDING_TYPE", "answer", "bind", "unbind_under"]

BINDING_TYPE = "Basin/msiBindings"


def _binding_id(platform: Platform, secret_hash: str) -> str:
    digest = secret_hash.removeprefix("sha256:")
    return f"/subscriptions/{platform.subscription_id}/providers/{BINDING_TYPE}/{digest}"


def _identity(data: dict[str, Any] | None) -> ManagedIdentity | None:
    return None if data is None else ManagedIdentity(**data)


def bind(
    platform: Platform,
    owner: str,
    *,
    system_assigned: ManagedIdentity | None = None,
    user_assigned_ids: Iterable[str] = (),
) -> str:
    """Make a new secret for ``owner`` (an endpoint or replica id) and return it (only here)."""
    users = []
    for identity_id in user_assigned_ids:
        resource = identities.get_by_id(platform, identity_id)
        assert resource.client_id and resource.principal_id and resource.id
        users.append(ManagedIdentity(resource.client_id, resource.principal_id, resource.id))
    if system_assigned is None and not users:
        raise ValidationError("A managed-identity binding needs at least one identity.")
    secret = new_msi_secret()
    secret_hash = hash_msi_secret(secret)
    rid = _binding_id(platform, secret_hash)
    body = {
        "owner": owner,
        "system_assigned": asdict(system_assigned) if system_assigned else None,
        "user_assigned": [asdict(u) for u in users],
    }
    with platform.store.transaction() as tx:
        tx.insert(
            StoredResource(
                rid,
                BINDING_TYPE,
                rid.rsplit("/", 1)[1],
                platform.subscription_id,
                None,
                body,
                owner=owner,  # deleting the deployment or endpoint revokes it
            )
        )
    return secret


def unbind_under(platform: Platform, owner_prefix: str) -> int:
    """Remove every binding owned by ``owner_prefix`` or an id under it (replicas gone)."""
    count = 0
    with platform.store.transaction() as tx:
        for row in tx.list(type=BINDING_TYPE, owned_under=owner_prefix):
            count += int(tx.delete(row.id))
    return count


def answer(platform: Platform, query: list[tuple[str, str]], secret: str | None) -> MsiResponse:
    """Answer one token request from a replica (the route only serialises this)."""
    if platform.tokens is None:
        raise ServiceUnavailableError("The token service is not running.")
    if not secret:
        return msi_error_response(ValidationError("The 'secret' header is missing."))
    secret_hash = hash_msi_secret(secret)
    row = platform.store.get(_binding_id(platform, secret_hash))
    if row is None:
        return msi_error_response(AuthenticationError("The secret is not valid for any replica."))
    identities_ = EndpointIdentities(
        endpoint=str(row.body["owner"]),
        system_assigned=_identity(row.body.get("system_assigned")),
        user_assigned=tuple(ManagedIdentity(**u) for u in row.body.get("user_assigned", [])),
    )
    return answer_msi_request(
        query, secret, secret_hash=secret_hash, identities=identities_, issuer=platform.tokens
    )
