"""Managed online endpoints, with azure-ai-ml's names (``ManagedOnlineEndpoint``,
``IdentityConfiguration``, ``ManagedIdentityConfiguration``) and the endpoint YAML's fields."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import Field, field_validator

from basin.entities._base import Entity

__all__ = [
    "AuthMode",
    "EndpointAuthKeys",
    "EndpointAuthToken",
    "IdentityConfiguration",
    "IdentityType",
    "ManagedIdentityConfiguration",
    "ManagedOnlineEndpoint",
]


class AuthMode(StrEnum):
    KEY = "key"
    AML_TOKEN = "aml_token"


class IdentityType(StrEnum):
    SYSTEM_ASSIGNED = "system_assigned"
    USER_ASSIGNED = "user_assigned"
    NONE = "none"


class ManagedIdentityConfiguration(Entity):
    resource_id: str | None = None
    client_id: str | None = None
    object_id: str | None = None
    principal_id: str | None = None


class IdentityConfiguration(Entity):
    type: IdentityType = IdentityType.SYSTEM_ASSIGNED
    user_assigned_identities: list[ManagedIdentityConfiguration] | None = None
    principal_id: str | None = None
    tenant_id: str | None = None

    @field_validator("type", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        # The REST API spells it SystemAssigned; the YAML system_assigned.
        if isinstance(value, str):
            return {"systemassigned": "system_assigned", "userassigned": "user_assigned"}.get(
                value.replace("_", "").lower(), value.lower()
            )
        return value


def _percentages(value: Any, field: str) -> Any:
    if isinstance(value, dict):
        for name, percent in value.items():
            if not isinstance(percent, int) or isinstance(percent, bool) or not 0 <= percent <= 100:
                raise ValueError(f"{field}.{name} must be a whole percentage from 0 to 100")
    return value


class ManagedOnlineEndpoint(Entity):
    resource_type: ClassVar[str] = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints"

    name: str
    auth_mode: AuthMode = AuthMode.KEY
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    properties: dict[str, str] = Field(default_factory=dict)
    traffic: dict[str, int] = Field(default_factory=dict)
    mirror_traffic: dict[str, int] = Field(default_factory=dict)
    identity: IdentityConfiguration | None = None
    public_network_access: str | None = None
    kind: str | None = None
    # Set by the server:
    id: str | None = None
    location: str | None = None
    provisioning_state: str | None = None
    scoring_uri: str | None = None
    openapi_uri: str | None = None
    created_at: datetime | None = None

    @field_validator("traffic", "mirror_traffic", mode="before")
    @classmethod
    def _check_percentages(cls, value: Any, info: Any) -> Any:
        return _percentages(value, info.field_name)

    @field_validator("auth_mode", mode="before")
    @classmethod
    def _auth_mode(cls, value: Any) -> Any:
        if isinstance(value, str) and value.lower() in ("aad_token", "aadtoken"):
            raise ValueError(
                "'aad_token' (Microsoft Entra tokens) is not supported: basin's endpoints take "
                "'key' or 'aml_token'"
            )
        return value.lower() if isinstance(value, str) else value

    @property
    def swagger_uri(self) -> str | None:
        return self.openapi_uri


class EndpointAuthKeys(Entity):
    primary_key: str
    secondary_key: str


class EndpointAuthToken(Entity):
    access_token: str
    expiry_time_utc: int
    refresh_after_time_utc: int
    token_type: str = "Bearer"
