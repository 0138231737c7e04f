"""The managed identity protocol inside a replica (Azure ML's ``MSI_ENDPOINT`` + ``MSI_SECRET``).

Pure functions for the HTTP route: read the query, check the per-replica secret, choose the
identity, mint the token and shape the JSON that ``azure-identity``'s ManagedIdentityCredential
(sync path through msal, async path through azure-identity itself) accepts::

    GET {MSI_ENDPOINT}?api-version=2017-09-01&resource=https://storage.azure.com[&clientid=...]
    secret: {MSI_SECRET}
    -> 200 {"access_token", "expires_on": <epoch seconds>, "resource", "token_type", "client_id"}

A refusal answers ``{"error": ..., "error_description": ...}`` (the OAuth2/IMDS shape). Both
client paths put that body into the exception they raise, so the user reads our description.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from basin.errors import AuthenticationError, AuthorizationError, BasinError, ValidationError
from basin.identity.audiences import resource_from_scope
from basin.identity.principals import Principal
from basin.identity.tokens import TokenIssuer

__all__ = [
    "SECRET_HEADER",
    "SUPPORTED_API_VERSIONS",
    "EndpointIdentities",
    "ManagedIdentity",
    "MsiRequest",
    "MsiResponse",
    "answer_msi_request",
    "choose_identity",
    "hash_msi_secret",
    "msi_error_response",
    "msi_token_response",
    "new_msi_secret",
    "parse_msi_query",
    "verify_msi_secret",
]

SECRET_HEADER = "secret"
# 2017-09-01 is what azure-identity sends for Azure ML; the others are the App Service and IMDS
# versions, accepted so that raw REST calls copied from those docs work too.
SUPPORTED_API_VERSIONS = ("2017-09-01", "2018-02-01", "2019-08-01")
DEFAULT_API_VERSION = "2017-09-01"

# Query names for "which identity", as the different Azure token endpoints spell them.
_CLIENT_ID_NAMES = ("clientid", "client_id")
_OBJECT_ID_NAMES = ("object_id", "principal_id")
_RESOURCE_ID_NAMES = ("mi_res_id", "msi_res_id", "resource_id")
_SECRET_PREFIX = "sha256:"


@dataclass(frozen=True)
class ManagedIdentity:
    """An identity attached to an endpoint: its application (client) id, its principal (object)
    id and its Azure resource id (``xms_mirid``)."""

    client_id: str
    object_id: str
    resource_id: str
    system_assigned: bool = False

    def principal(self) -> Principal:
        return Principal(
            object_id=self.object_id,
            client_id=self.client_id,
            kind="managed_identity",
            resource_id=self.resource_id,
        )


@dataclass(frozen=True)
class EndpointIdentities:
    """The identities attached to one online endpoint."""

    endpoint: str  # the endpoint's name or id, for messages
    system_assigned: ManagedIdentity | None = None
    user_assigned: tuple[ManagedIdentity, ...] = ()

    def all(self) -> tuple[ManagedIdentity, ...]:
        first = (self.system_assigned,) if self.system_assigned else ()
        return (*first, *self.user_assigned)


@dataclass(frozen=True)
class MsiRequest:
    """A parsed token request. ``resource`` is exactly what the client asked for (azure-identity
    caches the answer under it); tokens get it with any ``/.default`` removed."""

    resource: str
    api_version: str
    client_id: str | None = None
    object_id: str | None = None
    mi_res_id: str | None = None


@dataclass(frozen=True)
class MsiResponse:
    """What the route sends back: an HTTP status and a JSON body."""

    status: int
    body: dict[str, Any]

    def __repr__(self) -> str:  # a 200 body holds a token
        shown = {k: ("***" if k == "access_token" else v) for k, v in self.body.items()}
        return f"MsiResponse(status={self.status}, body={shown})"


def parse_msi_query(query: Mapping[str, str] | Iterable[tuple[str, str]]) -> MsiRequest:
    """Read ``resource``, ``api-version`` and at most one identity selector from the query.

    Names are matched without regard to case. A repeated parameter, a missing resource, an
    unknown api-version or two selectors at once are refused with ValidationError.
    """
    pairs = list(query.items()) if isinstance(query, Mapping) else list(query)
    values: dict[str, str] = {}
    for name, value in pairs:
        key = name.strip().lower()
        if key in values:
            raise ValidationError(f"Query parameter '{name}' is given more than once.")
        values[key] = value
    raw_resource = values.get("resource", "")
    resource_from_scope(raw_resource)  # refuses empty or several resources with a clear message
    api_version = values.get("api-version", DEFAULT_API_VERSION).strip()
    if api_version not in SUPPORTED_API_VERSIONS:
        raise ValidationError(
            f"api-version '{api_version}' is not supported; use one of "
            f"{', '.join(SUPPORTED_API_VERSIONS)}."
        )
    client_id = _one_of(values, _CLIENT_ID_NAMES)
    object_id = _one_of(values, _OBJECT_ID_NAMES)
    mi_res_id = _one_of(values, _RESOURCE_ID_NAMES)
    if sum(v is not None for v in (client_id, object_id, mi_res_id)) > 1:
        raise ValidationError(
            "Give at most one of clientid, object_id and mi_res_id to choose the identity."
        )
    return MsiRequest(raw_resource.strip(), api_version, client_id, object_id, mi_res_id)


def _one_of(values: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    given = [values[n].strip() for n in names if n in values and values[n].strip()]
    if len(given) > 1:
        raise ValidationError(f"Give only one of {', '.join(names)}.")
    return given[0] if given else None


def choose_identity(request: MsiRequest, identities: EndpointIdentities) -> ManagedIdentity:
    """The identity the request asks for, which must be attached to the endpoint.

    Without a selector: the system-assigned identity, else the only user-assigned one. With one:
    the attached identity whose client id, object id or resource id matches (ids compare
    without regard to case). Anything else raises AuthorizationError naming the choices.
    """
    attached = identities.all()
    if request.client_id is not None:
        return _match(request.client_id, "clientid", attached, identities, "client_id")
    if request.object_id is not None:
        return _match(request.object_id, "object_id", attached, identities, "object_id")
    if request.mi_res_id is not None:
        return _match(request.mi_res_id, "mi_res_id", attached, identities, "resource_id")
    if identities.system_assigned is not None:
        return identities.system_assigned
    if len(identities.user_assigned) == 1:
        return identities.user_assigned[0]
    if not identities.user_assigned:
        raise AuthorizationError(
            f"Endpoint '{identities.endpoint}' has no managed identity attached."
        )
    raise AuthorizationError(
        f"Endpoint '{identities.endpoint}' has several user-assigned identities and no "
        f"system-assigned one; pass clientid (one of {_choices(identities)})."
    )


def _match(
    wanted: str,
    param: str,
    attached: tuple[ManagedIdentity, ...],
    identities: EndpointIdentities,
    field: str,
) -> ManagedIdentity:
    for identity in attached:
        if getattr(identity, field).strip().lower() == wanted.lower():
            return identity
    choices = _choices(identities) if attached else "none is attached"
    shown = "".join(c if c.isprintable() else "?" for c in wanted[:100])  # client input
    raise AuthorizationError(
        f"Identity not found: {param} '{shown}' is not an identity of endpoint "
        f"'{identities.endpoint}' (client ids: {choices})."
    )


def _choices(identities: EndpointIdentities) -> str:
    return ", ".join(i.client_id for i in identities.all())


def msi_token_response(
    access_token: str, expires_on: int, resource: str, client_id: str
) -> dict[str, Any]:
    """The 200 body. ``expires_on`` is epoch seconds as a JSON integer: both client paths
    ``int()`` it, while the App Service date string would break the sync (msal) path.
    ``resource`` must be present for the async path, which caches the token under it."""
    return {
        "access_token": access_token,
        "expires_on": int(expires_on),
        "resource": resource,
        "token_type": "Bearer",
        "client_id": client_id,
    }


def msi_error_response(error: BasinError) -> MsiResponse:
    """A refusal in the OAuth2 error shape, with the status of ``error`` (400 bad request, 401
    bad secret, 403 identity not attached). Both client paths treat 400, 401 and 403 alike and
    quote ``error_description`` to the user, so the description carries the explanation."""
    code = {400: "invalid_request", 401: "invalid_client", 403: "unauthorized_client"}.get(
        error.status, "server_error"
    )
    return MsiResponse(error.status, {"error": code, "error_description": error.message})


def answer_msi_request(
    query: Mapping[str, str] | Iterable[tuple[str, str]],
    presented_secret: str | None,
    *,
    secret_hash: str,
    identities: EndpointIdentities,
    issuer: TokenIssuer,
    lifetime: int = 24 * 3600,
) -> MsiResponse:
    """The whole exchange for one request: secret, query, identity, token, JSON. Never raises
    for a client's mistake; the route only serialises the result."""
    try:
        if not verify_msi_secret(presented_secret, secret_hash):
            raise AuthenticationError(
                f"The '{SECRET_HEADER}' header is missing or does not match this replica's "
                "MSI_SECRET."
            )
        request = parse_msi_query(query)
        identity = choose_identity(request, identities)
        issued = issuer.issue(identity.principal(), request.resource, lifetime=lifetime)
    except (ValidationError, AuthenticationError, AuthorizationError) as error:
        return msi_error_response(error)
    return MsiResponse(
        200,
        msi_token_response(issued.token, issued.expires_on, request.resource, identity.client_id),
    )


def new_msi_secret() -> str:
    """A fresh per-replica secret (256 random bits); hand it to the replica, store the hash."""
    return secrets.token_urlsafe(32)


def hash_msi_secret(secret: str) -> str:
    """What to store instead of the secret. A plain SHA-256 suffices: the secret is random,
    not a password, so there is nothing to guess."""
    return _SECRET_PREFIX + hashlib.sha256(secret.encode("utf-8")).hexdigest()


def verify_msi_secret(presented: str | None, secret_hash: str) -> bool:
    """Whether ``presented`` is the secret behind ``secret_hash``, in constant time."""
    if not presented or not secret_hash.startswith(_SECRET_PREFIX):
        return False
    return hmac.compare_digest(hash_msi_secret(presented), secret_hash)
