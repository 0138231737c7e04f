"""Workspace connections (``az ml connection``), e.g. a private Python feed reached with a PAT.

Credentials go in on create and never come out: what the API returns carries their ``type`` only.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from basin.entities._base import Entity

__all__ = [
    "ConnectionType",
    "NoneCredentialConfiguration",
    "PatTokenConfiguration",
    "UsernamePasswordConfiguration",
    "WorkspaceConnection",
]


class ConnectionType(StrEnum):
    PYTHON_FEED = "python_feed"
    GIT = "git"
    CONTAINER_REGISTRY = "container_registry"
    CUSTOM = "custom"


#: YAML spelling -> REST category (az ml sends the latter).
CATEGORIES = {
    ConnectionType.PYTHON_FEED: "PythonFeed",
    ConnectionType.GIT: "Git",
    ConnectionType.CONTAINER_REGISTRY: "ContainerRegistry",
    ConnectionType.CUSTOM: "CustomKeys",
}


class PatTokenConfiguration(Entity):
    type: Literal["pat"] = "pat"
    pat: str | None = None


class UsernamePasswordConfiguration(Entity):
    type: Literal["username_password"] = "username_password"
    username: str | None = None
    password: str | None = None


class NoneCredentialConfiguration(Entity):
    type: Literal["none"] = "none"


Credentials = Annotated[
    PatTokenConfiguration | UsernamePasswordConfiguration | NoneCredentialConfiguration,
    Field(discriminator="type"),
]


class WorkspaceConnection(Entity):
    resource_type: ClassVar[str] = "Microsoft.MachineLearningServices/workspaces/connections"

    name: str
    type: ConnectionType
    target: str
    credentials: Credentials = Field(default_factory=NoneCredentialConfiguration)
    is_shared: bool = True
    metadata: dict[str, str] = Field(default_factory=dict)
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    id: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _tags_are_metadata(cls, value: Any) -> Any:
        # azure-ai-ml: a connection's `tags` are a deprecated name for its `metadata`: both hold
        # the tags updated with the metadata (metadata wins a conflict).
        if not isinstance(value, dict):
            return value
        tags, metadata = value.get("tags"), value.get("metadata")
        if isinstance(tags, dict) and isinstance(metadata, dict | None):
            merged = {**tags, **(metadata or {})}
        elif isinstance(metadata, dict) and tags is None:
            merged = dict(metadata)
        else:
            return value  # not mappings: the field validation says what is wrong
        return {**value, "tags": merged, "metadata": merged}

    @field_validator("type", mode="before")
    @classmethod
    def _rest_category(cls, value: Any) -> Any:
        # Accept the REST category spelling too (PythonFeed), as the v1 SDK sends it.
        if isinstance(value, str):
            for kind, category in CATEGORIES.items():
                if value.lower() == category.lower():
                    return kind
            return value.lower()
        return value

    @field_validator("credentials", mode="before")
    @classmethod
    def _credential_type(cls, value: Any) -> Any:
        # `--set credentials.pat=...` on a file without `credentials.type`: the field says which.
        if isinstance(value, dict) and "type" not in value:
            if "pat" in value:
                return {**value, "type": "pat"}
            if "username" in value or "password" in value:
                return {**value, "type": "username_password"}
            if not value:
                return {"type": "none"}
        return value

    def secret(self) -> str | None:
        """The one secret value, to be sealed in the vault."""
        creds = self.credentials
        if isinstance(creds, PatTokenConfiguration):
            return creds.pat
        if isinstance(creds, UsernamePasswordConfiguration):
            return creds.password
        return None

    def without_secret(self) -> WorkspaceConnection:
        creds = self.credentials
        if isinstance(creds, PatTokenConfiguration):
            return self.model_copy(update={"credentials": PatTokenConfiguration()})
        if isinstance(creds, UsernamePasswordConfiguration):
            return self.model_copy(
                update={"credentials": UsernamePasswordConfiguration(username=creds.username)}
            )
        return self
