"""``ml_client.key_vaults`` and ``ml_client.vault_secrets`` (additions: ``az keyvault`` and
``az keyvault secret`` in SDK form).

Vaults are resources of the management API. Secrets live in the vault's data plane at
``https://{vault}.vault.azure.net``, reached as ``az`` reaches it: a token for
``https://vault.azure.net`` (from the server's token service) sent through basin's forward proxy.
"""

from __future__ import annotations

import builtins
import ssl
from datetime import UTC, datetime
from typing import Any

import httpx

from basin.entities import KeyVault, parse_entity
from basin.errors import BasinError, NotFoundError, ServiceUnavailableError, error_from_code
from basin.sdk.operations._scope import Scope
from basin.sdk.poller import BasinPoller

__all__ = ["KeyVaultOperations", "VaultSecretOperations"]

VAULTS = "/providers/Microsoft.KeyVault/vaults"
API_VERSION = "7.5"
_ERRORS = {400: "ValidationError", 401: "AuthenticationFailed", 403: "AuthorizationFailed",
           404: "ResourceNotFound", 409: "Conflict"}  # fmt: skip


class KeyVaultOperations:
    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    def _path(self, name: str, group: str | None) -> str:
        return f"{self._scope.group_path(group)}{VAULTS}/{name}"

    def _group_of(self, name: str, group: str | None) -> str:
        """The vault's group: the one given, else found by name (names are unique per server)."""
        if group:
            return group
        data = self._scope.transport.request("GET", self._scope.subscription_path() + VAULTS)
        for item in data["value"]:
            if str(item.get("name", "")).lower() == name.lower():
                return str(item["resourceGroup"])
        raise NotFoundError(f"There is no key vault named '{name}' (basin keyvault list).")

    def begin_create(
        self,
        name: str,
        *,
        resource_group: str | None = None,
        tags: dict[str, str] | None = None,
        enable_rbac_authorization: bool = True,
        retention_days: int = 90,
    ) -> BasinPoller[KeyVault]:
        body = {
            "tags": tags,
            "properties": {
                "enableRbacAuthorization": enable_rbac_authorization,
                "softDeleteRetentionInDays": retention_days,
            },
        }
        data = self._scope.transport.request("PUT", self._path(name, resource_group), json=body)
        return BasinPoller.completed(parse_entity(KeyVault, data))

    def get(self, name: str, *, resource_group: str | None = None) -> KeyVault:
        path = self._path(name, self._group_of(name, resource_group))
        return parse_entity(KeyVault, self._scope.transport.request("GET", path))

    def list(self, *, resource_group: str | None = None) -> builtins.list[KeyVault]:
        scope = self._scope
        base = (
            scope.group_path(resource_group)
            if (resource_group or scope.resource_group_name)
            else scope.subscription_path()
        )
        data = scope.transport.request("GET", base + VAULTS)
        return [parse_entity(KeyVault, item) for item in data["value"]]

    def begin_delete(self, name: str, *, resource_group: str | None = None) -> BasinPoller[None]:
        path = self._path(name, self._group_of(name, resource_group))
        self._scope.transport.request("DELETE", path)
        return BasinPoller.completed(None)

    def set_policy(
        self,
        name: str,
        object_id: str,
        secret_permissions: builtins.list[str],
        *,
        resource_group: str | None = None,
    ) -> KeyVault:
        path = self._path(name, self._group_of(name, resource_group)) + "/accessPolicies/add"
        policy = {"objectId": object_id, "permissions": {"secrets": secret_permissions}}
        body = {"properties": {"accessPolicies": [policy]}}
        return parse_entity(KeyVault, self._scope.transport.request("PUT", path, json=body))

    def delete_policy(
        self, name: str, object_id: str, *, resource_group: str | None = None
    ) -> KeyVault:
        path = self._path(name, self._group_of(name, resource_group)) + "/accessPolicies/remove"
        body = {"properties": {"accessPolicies": [{"objectId": object_id}]}}
        return parse_entity(KeyVault, self._scope.transport.request("PUT", path, json=body))


def _iso(value: Any) -> str | None:
    return None if value is None else datetime.fromtimestamp(int(value), UTC).isoformat()


def az_shape(bundle: dict[str, Any]) -> dict[str, Any]:
    """A data-plane secret as ``az keyvault secret show`` prints it (ISO times, a ``name``)."""
    attributes = bundle.get("attributes") or {}
    secret_id = str(bundle.get("id") or bundle.get("recoveryId") or "")
    name = secret_id.split("/secrets/", 1)[-1].split("/", 1)[0] if "/secrets/" in secret_id else ""
    shown: dict[str, Any] = {
        "attributes": {
            "created": _iso(attributes.get("created")),
            "enabled": attributes.get("enabled"),
            "expires": _iso(attributes.get("exp")),
            "notBefore": _iso(attributes.get("nbf")),
            "recoverableDays": attributes.get("recoverableDays"),
            "recoveryLevel": attributes.get("recoveryLevel"),
            "updated": _iso(attributes.get("updated")),
        },
        "contentType": bundle.get("contentType"),
        "id": bundle.get("id"),
        "kid": None,
        "managed": None,
        "name": name or secret_id.rsplit("/", 1)[-1],
        "tags": bundle.get("tags") or {},
    }
    if "value" in bundle:
        shown["value"] = bundle["value"]
    if "recoveryId" in bundle:
        shown["recoveryId"] = bundle["recoveryId"]
        shown["deletedDate"] = _iso(bundle.get("deletedDate"))
        shown["scheduledPurgeDate"] = _iso(bundle.get("scheduledPurgeDate"))
    return shown


class VaultSecretOperations:
    """A vault's secrets, over the data plane, through the server's forward proxy."""

    def __init__(self, scope: Scope, info: Any) -> None:
        self._scope = scope
        self._info = info  # a callable returning the server's /basin/info
        self._client: httpx.Client | None = None
        self._token: tuple[str, int] | None = None

    def _http(self) -> httpx.Client:
        if self._client is None:
            proxy = (self._info().get("endpoints") or {}).get("proxy")
            if not proxy:
                raise ServiceUnavailableError(
                    "This server runs no forward proxy, so its key vaults cannot be reached; "
                    "restart it with this version of basin."
                )
            ca_file = self._scope.transport.connection.ca_file
            verify: Any = ssl.create_default_context(cafile=ca_file) if ca_file else True
            self._client = httpx.Client(proxy=proxy, verify=verify, trust_env=False, timeout=60)
        return self._client

    def _bearer(self) -> str:
        now = int(datetime.now(UTC).timestamp())
        if self._token is None or self._token[1] - 60 < now:
            issued = self._scope.transport.request(
                "POST", "/basin/token", json={"resource": "https://vault.azure.net"}
            )
            self._token = (str(issued["accessToken"]), int(issued["expires_on"]))
        return self._token[0]

    def _call(self, method: str, vault: str, path: str, body: Any = None) -> Any:
        url = f"https://{vault.lower()}.vault.azure.net{path}"
        headers = {"Authorization": f"Bearer {self._bearer()}"}
        try:
            response = self._http().request(
                method, url, params={"api-version": API_VERSION}, json=body, headers=headers
            )
        except httpx.TransportError as exc:
            raise ServiceUnavailableError(
                f"Cannot reach key vault '{vault}' through basin's proxy ({type(exc).__name__})."
            ) from None
        if response.status_code >= 400:
            raise _error(response)
        return response.json() if response.content else None

    def set(
        self,
        vault: str,
        name: str,
        value: str,
        *,
        content_type: str | None = None,
        tags: dict[str, str] | None = None,
        enabled: bool | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"value": value, "tags": tags or {}}
        if content_type is not None:
            body["contentType"] = content_type
        if enabled is not None:
            body["attributes"] = {"enabled": enabled}
        return az_shape(self._call("PUT", vault, f"/secrets/{name}", body))

    def get(self, vault: str, name: str, version: str | None = None) -> dict[str, Any]:
        return az_shape(self._call("GET", vault, f"/secrets/{name}/{version or ''}"))

    def list(self, vault: str) -> builtins.list[dict[str, Any]]:
        return [az_shape(item) for item in self._call("GET", vault, "/secrets")["value"]]

    def list_versions(self, vault: str, name: str) -> builtins.list[dict[str, Any]]:
        data = self._call("GET", vault, f"/secrets/{name}/versions")
        return [az_shape(item) for item in data["value"]]

    def delete(self, vault: str, name: str) -> dict[str, Any]:
        return az_shape(self._call("DELETE", vault, f"/secrets/{name}"))

    def list_deleted(self, vault: str) -> builtins.list[dict[str, Any]]:
        return [az_shape(item) for item in self._call("GET", vault, "/deletedsecrets")["value"]]

    def get_deleted(self, vault: str, name: str) -> dict[str, Any]:
        return az_shape(self._call("GET", vault, f"/deletedsecrets/{name}"))

    def recover(self, vault: str, name: str) -> dict[str, Any]:
        return az_shape(self._call("POST", vault, f"/deletedsecrets/{name}/recover"))

    def purge(self, vault: str, name: str) -> None:
        self._call("DELETE", vault, f"/deletedsecrets/{name}")

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def _error(response: httpx.Response) -> BasinError:
    try:
        error = response.json()["error"]
        # Key Vault's messages span lines; basin's errors are one line (the CLI prints one).
        message = "; ".join(
            line.strip() for line in str(error["message"]).splitlines() if line.strip()
        )
    except (ValueError, KeyError, TypeError):
        message = f"The key vault answered {response.status_code}."
    code = _ERRORS.get(response.status_code, "InternalError")
    return error_from_code(code, message, response.status_code)
