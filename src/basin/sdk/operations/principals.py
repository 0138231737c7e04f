"""``ml_client.principals``: users and service principals; ``ml_client.get_access_token``."""

from __future__ import annotations

from typing import Any

from basin.entities import PrincipalInfo, parse_entity
from basin.sdk.operations._scope import Scope

__all__ = ["PrincipalOperations"]


class PrincipalOperations:
    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    def create(
        self, display_name: str, *, principal_type: str = "ServicePrincipal"
    ) -> PrincipalInfo:
        """Create a principal; the returned ``password`` is shown this once only."""
        body = {"displayName": display_name, "principalType": principal_type}
        return parse_entity(
            PrincipalInfo, self._scope.transport.request("POST", "/basin/principals", json=body)
        )

    def list(self) -> list[PrincipalInfo]:
        data = self._scope.transport.request("GET", "/basin/principals")
        return [parse_entity(PrincipalInfo, item) for item in data["value"]]

    def reset_credential(self, ref: str) -> PrincipalInfo:
        data = self._scope.transport.request("POST", f"/basin/principals/{ref}/resetCredential")
        return parse_entity(PrincipalInfo, data)

    def delete(self, ref: str) -> None:
        self._scope.transport.request("DELETE", f"/basin/principals/{ref}")

    def get_access_token(self, resource: str | None = None) -> dict[str, Any]:
        data: dict[str, Any] = self._scope.transport.request(
            "POST", "/basin/token", json={"resource": resource}
        )
        return data
