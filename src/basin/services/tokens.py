"""The token service for people and programs: JWTs for a resource, as ``az account get-access-token``."""

from __future__ import annotations

import hmac
from typing import Any

from basin.errors import AuthenticationError, ServiceUnavailableError
from basin.identity import Principal as TokenPrincipal
from basin.services.installation import hash_token
from basin.services.platform import Platform
from basin.store import Principal

__all__ = ["DEFAULT_RESOURCE", "issue_for", "service_principal_for"]

DEFAULT_RESOURCE = "https://management.azure.com"
_KINDS = {
    "User": "user",
    "ServicePrincipal": "service_principal",
    "ManagedIdentity": "managed_identity",
}


def issue_for(
    platform: Platform, principal: Principal, resource: str | None = None
) -> dict[str, Any]:
    if platform.tokens is None:
        raise ServiceUnavailableError("The token service is not running.")
    # The issuer normalises the resource and refuses endpoint audiences (get-credentials only).
    issued = platform.tokens.issue(
        TokenPrincipal(
            object_id=principal.object_id,
            client_id=principal.client_id,
            kind=_KINDS.get(principal.kind, "service_principal"),  # type: ignore[arg-type]
            display_name=principal.display_name,
        ),
        resource or DEFAULT_RESOURCE,
    )
    return {
        "accessToken": issued.token,
        "expires_on": issued.expires_on,
        "subscription": platform.subscription_id,
        "tenant": platform.installation.tenant_id,
        "tokenType": "Bearer",
    }


def service_principal_for(platform: Platform, client_id: str, client_secret: str) -> Principal:
    """The service principal whose app id is ``client_id`` if ``client_secret`` is its secret
    (the client credentials grant); AuthenticationError otherwise, naming neither secret nor
    hash."""
    found = next(
        (
            p
            for p in platform.store.list_principals()
            if p.client_id.lower() == client_id.strip().lower() and p.kind == "ServicePrincipal"
        ),
        None,
    )
    if found is None:
        raise AuthenticationError(
            f"Application with identifier '{client_id[:64]}' was not found in the tenant "
            f"'{platform.installation.tenant_id}' (basin ad sp list shows the service principals)."
        )
    if not found.token_hash or not hmac.compare_digest(found.token_hash, hash_token(client_secret)):
        raise AuthenticationError(
            f"Invalid client secret provided for app '{found.client_id}': use the secret basin ad "
            "sp create (or credential reset) printed."
        )
    return found
