"""The token service for people and programs: JWTs for a resource, as ``az account get-access-token``."""

from __future__ import annotations

from typing import Any

from basin.errors import ServiceUnavailableError
from basin.identity import Principal as TokenPrincipal
from basin.services.platform import Platform
from basin.store import Principal

__all__ = ["DEFAULT_RESOURCE", "issue_for"]

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
