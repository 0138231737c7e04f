"""The token service: ``/basin/token`` (for callers), ``/basin/jwks`` and the replicas' MSI endpoint."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse

from basin.errors import AuthorizationError, ServiceUnavailableError
from basin.identity import ROLE_ASSIGNMENT_WRITE, SECRET_HEADER
from basin.server.auth import platform_of
from basin.services import access, msi, tokens

router = APIRouter()
public_router = APIRouter()

MSI_PATH = "/basin/msi/token"


@router.post("/basin/token")
def issue(request: Request, body: dict[str, Any] = Body({})) -> dict[str, Any]:
    return tokens.issue_for(platform_of(request), request.state.principal, body.get("resource"))


@public_router.get("/basin/jwks")
def jwks(request: Request) -> dict[str, Any]:
    platform = platform_of(request)
    if platform.tokens is None:
        raise ServiceUnavailableError("The token service is not running.")
    return dict(platform.tokens.jwks())


@public_router.get(MSI_PATH)
def msi_token(request: Request) -> JSONResponse:
    """The MSI_ENDPOINT of replicas: answers this machine and the trusted networks only.

    Replicas on other nodes (a Ray cluster) call from a trusted network; the per-replica
    secret is still what decides which identities a caller gets.
    """
    client = request.client.host if request.client else None
    if not request.app.state.network_policy.is_private(client):
        raise AuthorizationError(
            "The managed identity endpoint answers only this machine and the server's trusted "
            "networks (BASIN_TRUSTED_NETWORKS)."
        )
    answer = msi.answer(
        platform_of(request),
        list(request.query_params.multi_items()),
        request.headers.get(SECRET_HEADER),
    )
    return JSONResponse(answer.body, status_code=answer.status)


@router.post("/basin/msi/bindings", status_code=201)
def bind(request: Request, body: dict[str, Any] = Body()) -> dict[str, Any]:
    """Make a per-replica secret for user-assigned identities (subscription Owners only).

    Deployments make their replicas' secrets in-process; this route lets an operator run a
    process of their own with an identity, and the test suite exercise the protocol.
    """
    platform = platform_of(request)
    scope = f"/subscriptions/{platform.subscription_id}"
    access.authorize(platform, request.state.principal.object_id, ROLE_ASSIGNMENT_WRITE, scope)
    identity_ids = [str(i) for i in body.get("user_assigned_identities") or []]
    secret = msi.bind(
        platform, str(body.get("owner") or "operator"), user_assigned_ids=identity_ids
    )
    return {"msi_endpoint": platform.api_endpoint + MSI_PATH, "msi_secret": secret}
