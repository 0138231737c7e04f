"""``login.microsoftonline.com`` for basin's tenant: what MSAL (and so ``azure-identity``'s
``ClientSecretCredential`` / ``DefaultAzureCredential`` with environment credentials) asks for.

MSAL's client-credentials flow reads, in order: the instance-discovery document
(``/common/discovery/instance``, for the token cache's host aliases), the tenant's OpenID
configuration (``/{tenant}/v2.0/.well-known/openid-configuration``: ``token_endpoint``,
``authorization_endpoint``, ``issuer``), then posts ``grant_type=client_credentials`` with
``client_id``, ``client_secret`` and ``scope=<resource>/.default`` to the token endpoint. The v1
endpoint (``/{tenant}/oauth2/token`` with ``resource=``) and the signing keys are served too.
Client secrets are basin service principals' secrets (``basin ad sp create``); tokens are basin's
JWTs, as from any of its token routes. Errors take Entra's shape (``error``,
``error_description`` with an AADSTS code), which MSAL shows as is. The token endpoint is
throttled per client address and per application's failed secrets (``throttle.py``): 429 with
``Retry-After``.
"""

from __future__ import annotations

import base64
import binascii
import math
import time
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from basin.errors import AuthenticationError, BasinError, ValidationError
from basin.server.login.throttle import TokenThrottle
from basin.services import tokens
from basin.services.platform import Platform

__all__ = ["AUTHORITY", "create_login_app"]

AUTHORITY = "https://login.microsoftonline.com"
_HOST = "login.microsoftonline.com"
_ALIASES = [
    "login.microsoftonline.com",
    "login.windows.net",
    "login.microsoft.com",
    "sts.windows.net",
]
_RESERVED_SCOPES = {"openid", "profile", "offline_access"}
_MAX_FORM = 64 * 1024


def _error(status: int, error: str, code: int, description: str) -> JSONResponse:
    now = datetime.now(UTC)
    trace = str(uuid.uuid4())
    body = {
        "error": error,
        "error_description": f"AADSTS{code}: {description} Trace ID: {trace} Timestamp: "
        f"{now:%Y-%m-%d %H:%M:%SZ}",
        "error_codes": [code],
        "timestamp": f"{now:%Y-%m-%d %H:%M:%SZ}",
        "trace_id": trace,
        "correlation_id": str(uuid.uuid4()),
    }
    return JSONResponse(body, status_code=status)


def create_login_app(platform: Platform, throttle: TokenThrottle | None = None) -> Starlette:
    tenant_id = platform.installation.tenant_id
    throttle = throttle or TokenThrottle()

    def tenant_error(tenant: str) -> JSONResponse | None:
        if tenant.lower() == tenant_id.lower():
            return None
        return _error(
            400, "invalid_tenant", 90002,
            f"Tenant '{tenant[:64]}' not found. This basin server's tenant is '{tenant_id}' "
            "(basin account show); set AZURE_TENANT_ID to it.",
        )  # fmt: skip

    def v2_configuration(tenant: str) -> dict[str, Any]:
        base = f"{AUTHORITY}/{tenant}"
        return {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{base}/v2.0",
            "request_uri_parameter_supported": False,
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "grant_types_supported": ["client_credentials"],
            "tenant_region_scope": None,
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
        }

    # The discovery documents are answered for any tenant: MSAL replaces a failed discovery's
    # answer with a generic message, while the token endpoint's refusal (naming basin's tenant)
    # reaches the user as it is.
    async def openid_v2(request: Request) -> JSONResponse:
        return JSONResponse(v2_configuration(request.path_params["tenant"]))

    async def openid_v1(request: Request) -> JSONResponse:
        tenant = request.path_params["tenant"]
        base = f"{AUTHORITY}/{tenant}"
        document = v2_configuration(tenant) | {
            "token_endpoint": f"{base}/oauth2/token",
            "authorization_endpoint": f"{base}/oauth2/authorize",
            "jwks_uri": f"{AUTHORITY}/common/discovery/keys",
            "issuer": f"https://sts.windows.net/{tenant_id}/",
        }
        return JSONResponse(document)

    async def instance_discovery(request: Request) -> JSONResponse:
        tenant = request.path_params.get("tenant", "common")
        return JSONResponse(
            {
                "tenant_discovery_endpoint": f"{AUTHORITY}/{tenant}/v2.0/.well-known/openid-configuration",
                "api-version": request.query_params.get("api-version", "1.1"),
                "metadata": [
                    {
                        "preferred_network": _HOST,
                        "preferred_cache": "login.windows.net",
                        "aliases": _ALIASES,
                    }
                ],
            }
        )

    async def keys(_request: Request) -> JSONResponse:
        if platform.tokens is None:
            return _error(
                503, "temporarily_unavailable", 50000, "The token service is not running."
            )
        return JSONResponse(dict(platform.tokens.jwks()))

    async def token(request: Request) -> JSONResponse:
        tenant = request.path_params["tenant"]
        refused = tenant_error(tenant)
        if refused:
            return refused
        v1 = not request.url.path.endswith("/v2.0/token")
        raw = await request.body()
        if len(raw) > _MAX_FORM:
            return _error(400, "invalid_request", 900144, "The request body is too large.")
        form = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        client_id, secret = _client_credentials(request, form)
        grant = form.get("grant_type", "")
        if grant != "client_credentials":
            return _error(
                400, "unsupported_grant_type", 70003,
                f"The grant type '{grant[:40]}' is not supported: basin answers the client "
                "credentials grant (a service principal's id and secret).",
            )  # fmt: skip
        if form.get("client_assertion"):
            return _error(
                400, "invalid_client", 700027,
                "Certificate credentials are not supported; use the service principal's secret.",
            )  # fmt: skip
        if not client_id or not secret:
            return _error(
                400,
                "invalid_request",
                900144,
                "The request body must contain 'client_id' and 'client_secret'.",
            )
        wait = throttle.admit(request.client.host if request.client else "-", client_id)
        if wait > 0:
            retry = max(1, math.ceil(wait))
            refused = _error(
                429, "temporarily_unavailable", 50196,
                f"Too many token requests from this client; retry in {retry} s. Tokens last an "
                "hour: clients should reuse them (azure-identity does).",
            )  # fmt: skip
            refused.headers["Retry-After"] = str(retry)
            return refused
        if v1:
            resource = form.get("resource", "")
        else:
            scopes = [s for s in form.get("scope", "").split() if s not in _RESERVED_SCOPES]
            if len(scopes) != 1 or not scopes[0].endswith("/.default"):
                return _error(
                    400, "invalid_scope", 1002012,
                    "The client credentials grant takes one scope of the form "
                    "'<resource>/.default', e.g. https://storage.azure.com/.default.",
                )  # fmt: skip
            resource = scopes[0]
        if not resource:
            return _error(
                400, "invalid_request", 900144, "The request body must contain 'resource'."
            )
        try:
            issued = await run_in_threadpool(_issue, platform, client_id, secret, resource)
        except AuthenticationError as exc:
            throttle.failed(client_id)
            return _error(401, "invalid_client", 7000215, exc.message)
        except ValidationError as exc:
            return _error(400, "invalid_resource", 500011, exc.message)
        except BasinError as exc:
            return _error(exc.status, "temporarily_unavailable", 50000, exc.message)
        expires_in = max(int(issued["expires_on"]) - int(time.time()), 0)
        body: dict[str, Any] = {
            "token_type": "Bearer",
            "expires_in": expires_in,
            "ext_expires_in": expires_in,
            "access_token": issued["accessToken"],
        }
        if v1:
            body |= {
                "expires_on": str(issued["expires_on"]),
                "not_before": str(int(issued["expires_on"]) - expires_in),
                "resource": resource,
            }
        return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    async def interactive(_request: Request) -> JSONResponse:
        return _error(
            400, "unsupported_response_type", 70001,
            "basin signs in applications only (client credentials); people use basin's own "
            "token (basin account get-access-token).",
        )  # fmt: skip

    routes = [
        Route("/common/discovery/instance", instance_discovery, methods=["GET"]),
        Route("/common/discovery/keys", keys, methods=["GET"]),
        Route("/{tenant}/discovery/instance", instance_discovery, methods=["GET"]),
        Route("/{tenant}/discovery/keys", keys, methods=["GET"]),
        Route("/{tenant}/discovery/v2.0/keys", keys, methods=["GET"]),
        Route("/{tenant}/v2.0/.well-known/openid-configuration", openid_v2, methods=["GET"]),
        Route("/{tenant}/.well-known/openid-configuration", openid_v1, methods=["GET"]),
        Route("/{tenant}/oauth2/v2.0/token", token, methods=["POST"]),
        Route("/{tenant}/oauth2/token", token, methods=["POST"]),
        Route("/{tenant}/oauth2/v2.0/authorize", interactive, methods=["GET", "POST"]),
        Route("/{tenant}/oauth2/authorize", interactive, methods=["GET", "POST"]),
    ]
    return Starlette(routes=routes)


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str]:
    """client_secret_post (form fields) or client_secret_basic (Authorization: Basic)."""
    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    header = request.headers.get("authorization", "")
    if not secret and header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return client_id, ""
        basic_id, _, basic_secret = decoded.partition(":")
        return client_id or basic_id, basic_secret
    return client_id, secret


def _issue(platform: Platform, client_id: str, secret: str, resource: str) -> dict[str, Any]:
    principal = tokens.service_principal_for(platform, client_id, secret)
    return tokens.issue_for(platform, principal, resource)
