"""The studio's one way to the services: the management API, called in process over ASGI.

Every call carries the session's token and the browser's address, so it meets the same
authentication, role checks, public-network-access rule and error mapping as a call from the
SDK or the CLI; errors come back as the same exceptions (rebuilt from the error body as the SDK
does), hence the same words. The studio imports nothing of the services (a contract in
pyproject.toml holds it to that).
"""

from __future__ import annotations

from typing import Any

import httpx
from starlette.types import ASGIApp

from basin.errors import BasinError, error_from_code
from basin.ids import validate_name

__all__ = ["ManagementApi", "Paths"]


class ManagementApi:
    def __init__(self, app: ASGIApp, token: str, client: tuple[str, int]) -> None:
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=client),
            base_url="http://basin-studio.invalid",
            headers={"Authorization": f"Bearer {token}", "User-Agent": "basin-studio"},
            timeout=120.0,
        )

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        response = await self._client.request(method, path, json=json, params=params)
        if response.status_code >= 400:
            raise _error(response)
        if not response.content:
            return None
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return response.text

    async def get(self, path: str, **params: Any) -> Any:
        return await self.call("GET", path, params={k: v for k, v in params.items() if v})

    async def aclose(self) -> None:
        await self._client.aclose()


def _error(response: httpx.Response) -> BasinError:
    try:
        error = response.json()["error"]
        return error_from_code(str(error["code"]), str(error["message"]), response.status_code)
    except (ValueError, KeyError, TypeError):
        return BasinError(f"The management API answered {response.status_code} without an error.")


class Paths:
    """Management API paths, with names checked by Azure's rules (the CLI's words on a bad one)."""

    def __init__(self, subscription_id: str) -> None:
        self.subscription = f"/subscriptions/{subscription_id}"

    def workspaces(self) -> str:
        return f"{self.subscription}/providers/Microsoft.MachineLearningServices/workspaces"

    def workspace(self, group: str, workspace: str) -> str:
        group = validate_name("resource group", group)
        workspace = validate_name("workspace", workspace)
        return (
            f"{self.subscription}/resourceGroups/{group}"
            f"/providers/Microsoft.MachineLearningServices/workspaces/{workspace}"
        )

    def endpoint(self, group: str, workspace: str, endpoint: str) -> str:
        name = validate_name("endpoint", endpoint)
        return f"{self.workspace(group, workspace)}/onlineEndpoints/{name}"

    def deployment(self, group: str, workspace: str, endpoint: str, deployment: str) -> str:
        name = validate_name("deployment", deployment)
        return f"{self.endpoint(group, workspace, endpoint)}/deployments/{name}"

    def role_assignments(self) -> str:
        return f"{self.subscription}/providers/Microsoft.Authorization/roleAssignments"
