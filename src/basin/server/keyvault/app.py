"""Key Vault's secrets REST API at ``https://{vault}.vault.azure.net`` (served through the proxy).

A thin adapter: the request's bearer token names the caller, ``services/vault_secrets.py`` does
the work, and replies take Key Vault's JSON shapes. A request without a token gets Key Vault's
401 challenge (``WWW-Authenticate: Bearer authorization=".../{tenant}", resource=...``), which
``SecretClient`` answers by getting a token for ``https://vault.azure.net`` and sending the
request again. Bodies and tokens are never logged.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from basin.entities import KeyVault, vault_uri
from basin.errors import (
    AuthenticationError,
    BasinError,
    ConflictError,
    NotFoundError,
    ValidationError,
)
from basin.services import key_vaults, vault_secrets
from basin.services.platform import Platform
from basin.services.vault_secrets import SecretRecord, Update, VaultAccessDeniedError
from basin.store import Principal

__all__ = ["AUDIENCES", "VAULT_NAME", "create_keyvault_app"]

logger = logging.getLogger("basin.keyvault")

#: The scope extension holding the vault's name (from the host name; the proxy sets it).
VAULT_NAME = "basin.vault"
AUDIENCES = ("https://vault.azure.net", "https://vault.azure.net/")
_MAX_BODY = 256 * 1024

Handler = Callable[[Platform, KeyVault, Principal, Request, bytes], Any]


class _Reply(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def create_keyvault_app(platform: Platform, *, authority: str) -> Starlette:
    """The data plane; ``authority`` is what the 401 challenge names (``https://login.../``)."""
    challenge = (
        f'Bearer authorization="{authority.rstrip("/")}/{platform.installation.tenant_id}", '
        f'resource="{AUDIENCES[0]}"'
    )

    def error(status: int, code: str, message: str, inner: str | None = None) -> JSONResponse:
        body: dict[str, Any] = {"code": code, "message": message}
        if inner:
            body["innererror"] = {"code": inner}
        headers = {"WWW-Authenticate": challenge} if status == 401 else None
        return JSONResponse({"error": body}, status_code=status, headers=headers)

    def caller(request: Request) -> Principal:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _Reply(
                error(401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.")
            )
        if platform.tokens is None:
            raise _Reply(error(503, "ServiceUnavailable", "The token service is not running."))
        try:
            claims = platform.tokens.verify(token.strip(), AUDIENCES)
        except AuthenticationError as exc:
            raise _Reply(error(401, "Unauthorized", f"AKV10022: {exc.message}")) from None
        principal = platform.store.get_principal(claims.object_id)
        if principal is None:
            raise _Reply(error(401, "Unauthorized", "The token's principal no longer exists."))
        return principal

    def endpoint(handler: Handler, status: int = 200) -> Callable[[Request], Any]:
        async def serve(request: Request) -> Response:
            try:
                name = request.scope.get("extensions", {}).get(VAULT_NAME)
                if not name:
                    raise _Reply(error(404, "VaultNotFound", "No vault name in the host name."))
                # The challenge comes before the body is read: SecretClient's first request of
                # a session carries no token (and no body).
                principal = await run_in_threadpool(caller, request)
                body = await _body(request)
                vault = await run_in_threadpool(key_vaults.find, platform, str(name))
                if vault is None:
                    raise _Reply(
                        error(
                            404,
                            "VaultNotFound",
                            f"There is no key vault named '{name}' on this server.",
                        )
                    )
                result = await run_in_threadpool(handler, platform, vault, principal, request, body)
            except _Reply as reply:
                return reply.response
            except VaultAccessDeniedError as exc:
                return error(403, "Forbidden", exc.message, exc.inner_code)
            except NotFoundError as exc:
                return error(404, "SecretNotFound", exc.message)
            except ConflictError as exc:
                return error(409, "Conflict", exc.message)
            except ValidationError as exc:
                return error(400, "BadParameter", exc.message)
            except BasinError as exc:
                return error(exc.status, exc.code, exc.message)
            except Exception:
                logger.exception("unexpected error in the key vault data plane")
                return error(500, "InternalError", "The server encountered an error.")
            if result is None:
                return Response(status_code=204)
            return JSONResponse(result, status_code=status)

        return serve

    routes = [
        Route("/secrets", endpoint(_list), methods=["GET"]),
        Route("/secrets/restore", endpoint(_unsupported), methods=["POST"]),
        Route("/secrets/{name}", endpoint(_set), methods=["PUT"]),
        Route("/secrets/{name}", endpoint(_delete), methods=["DELETE"]),
        Route("/secrets/{name}/backup", endpoint(_unsupported), methods=["POST"]),
        Route("/secrets/{name}/versions", endpoint(_list_versions), methods=["GET"]),
        Route("/secrets/{name}", endpoint(_get), methods=["GET"]),
        Route("/secrets/{name}/", endpoint(_get), methods=["GET"]),
        Route("/secrets/{name}/{version}", endpoint(_get), methods=["GET"]),
        Route("/secrets/{name}/", endpoint(_update), methods=["PATCH"]),
        Route("/secrets/{name}/{version}", endpoint(_update), methods=["PATCH"]),
        Route("/deletedsecrets", endpoint(_list_deleted), methods=["GET"]),
        Route("/deletedsecrets/{name}", endpoint(_get_deleted), methods=["GET"]),
        Route("/deletedsecrets/{name}", endpoint(_purge), methods=["DELETE"]),
        Route("/deletedsecrets/{name}/recover", endpoint(_recover), methods=["POST"]),
    ]
    return Starlette(routes=routes)


async def _body(request: Request) -> bytes:
    if request.method not in ("PUT", "PATCH", "POST"):
        return b""
    size = int(request.headers.get("content-length") or 0)
    if size > _MAX_BODY:
        raise ValidationError(f"The request body is larger than {_MAX_BODY} bytes.")
    return await request.body()


def _json(body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    try:
        data = json.loads(body)
    except ValueError:
        raise ValidationError("The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ValidationError("The request body must be a JSON object.")
    return data


def _update_from(data: dict[str, Any]) -> Update:
    attributes = data.get("attributes") or {}
    if not isinstance(attributes, dict):
        raise ValidationError("'attributes' must be an object.")
    tags = data.get("tags")
    if tags is not None and not (
        isinstance(tags, dict) and all(isinstance(v, str) for v in tags.values())
    ):
        raise ValidationError("'tags' must map names to strings.")
    for key in ("nbf", "exp"):
        if attributes.get(key) is not None and not isinstance(attributes[key], int):
            raise ValidationError(f"attributes.{key} must be a Unix time in seconds.")
    return Update(
        enabled=attributes.get("enabled"),
        not_before=attributes.get("nbf"),
        expires=attributes.get("exp"),
        content_type=data.get("contentType"),
        tags=tags,
    )


# ------------------------------------------------------------------------------ wire shapes
def _attributes(vault: KeyVault, record: SecretRecord) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "enabled": record.enabled,
        "nbf": record.not_before,
        "exp": record.expires,
        "created": record.created,
        "updated": record.updated,
        "recoveryLevel": "Recoverable+Purgeable" if vault.enable_soft_delete else "Purgeable",
    }
    if vault.enable_soft_delete:
        shown["recoverableDays"] = record.recoverable_days
    return {k: v for k, v in shown.items() if v is not None}


def _shape(
    vault: KeyVault,
    record: SecretRecord,
    *,
    versioned: bool = True,
    deleted: bool = False,
) -> dict[str, Any]:
    base = vault_uri(vault.name)
    shown: dict[str, Any] = {
        "id": f"{base}secrets/{record.name}" + (f"/{record.version}" if versioned else ""),
        "attributes": _attributes(vault, record),
        "tags": record.tags,
    }
    if record.value is not None:
        shown["value"] = record.value
    if record.content_type is not None:
        shown["contentType"] = record.content_type
    if deleted:
        shown["recoveryId"] = f"{base}deletedsecrets/{record.name}"
        shown["deletedDate"] = record.deleted_date
        shown["scheduledPurgeDate"] = record.scheduled_purge_date
    return shown


def _page(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"value": items, "nextLink": None}


# ------------------------------------------------------------------------------ handlers
def _set(platform: Platform, vault: KeyVault, who: Principal, request: Request, body: bytes) -> Any:
    data = _json(body)
    if "value" not in data:
        raise ValidationError("The request body needs the secret's 'value'.")
    record = vault_secrets.set_secret(
        platform, vault, who, request.path_params["name"], data["value"], _update_from(data)
    )
    return _shape(vault, record)


def _get(platform: Platform, vault: KeyVault, who: Principal, request: Request, _: bytes) -> Any:
    record = vault_secrets.get(
        platform, vault, who, request.path_params["name"], request.path_params.get("version")
    )
    return _shape(vault, record)


def _update(
    platform: Platform, vault: KeyVault, who: Principal, request: Request, body: bytes
) -> Any:
    record = vault_secrets.update(
        platform, vault, who, request.path_params["name"], request.path_params.get("version"),
        _update_from(_json(body)),
    )  # fmt: skip
    return _shape(vault, record)


def _list(platform: Platform, vault: KeyVault, who: Principal, _r: Request, _b: bytes) -> Any:
    records = vault_secrets.list_secrets(platform, vault, who)
    return _page([_shape(vault, r, versioned=False) for r in records])


def _list_versions(
    platform: Platform, vault: KeyVault, who: Principal, request: Request, _: bytes
) -> Any:
    records = vault_secrets.list_versions(platform, vault, who, request.path_params["name"])
    return _page([_shape(vault, r) for r in records])


def _delete(platform: Platform, vault: KeyVault, who: Principal, request: Request, _: bytes) -> Any:
    record = vault_secrets.delete(platform, vault, who, request.path_params["name"])
    return _shape(vault, record, deleted=vault.enable_soft_delete)


def _get_deleted(
    platform: Platform, vault: KeyVault, who: Principal, request: Request, _: bytes
) -> Any:
    record = vault_secrets.get_deleted(platform, vault, who, request.path_params["name"])
    return _shape(vault, record, deleted=True)


def _list_deleted(
    platform: Platform, vault: KeyVault, who: Principal, _r: Request, _b: bytes
) -> Any:
    records = vault_secrets.list_deleted(platform, vault, who)
    return _page([_shape(vault, r, versioned=False, deleted=True) for r in records])


def _recover(
    platform: Platform, vault: KeyVault, who: Principal, request: Request, _: bytes
) -> Any:
    return _shape(vault, vault_secrets.recover(platform, vault, who, request.path_params["name"]))


def _purge(platform: Platform, vault: KeyVault, who: Principal, request: Request, _: bytes) -> Any:
    vault_secrets.purge(platform, vault, who, request.path_params["name"])
    return None


def _unsupported(*_args: Any) -> Any:
    raise ValidationError(
        "basin's key vault does not back up or restore secrets; read the secret's versions and "
        "set them in the other vault instead."
    )
