"""Environments, with the field names of Azure ML's environment YAML and SDK.

``conda_file`` travels as the file's content (a mapping): the CLI and SDK read the file, so the
server never needs the user's disk. The build fields are read-only and set by the server.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import Field, field_validator

from basin.entities._base import Entity

__all__ = ["BuildContext", "Environment", "EnvironmentBuildState"]

ANONYMOUS_NAME = "CliV2AnonymousEnvironment"


class EnvironmentBuildState(StrEnum):
    NOT_STARTED = "NotStarted"
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"


class BuildContext(Entity):
    """Docker build contexts are not supported by basin (no container engine); kept so the
    message about them can name the field."""

    path: str | None = None
    dockerfile_path: str | None = None


class Environment(Entity):
    resource_type: ClassVar[str] = (
        "Microsoft.MachineLearningServices/workspaces/environments/versions"
    )

    name: str | None = None
    version: str | None = None
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    properties: dict[str, str] = Field(default_factory=dict)
    image: str | None = None
    conda_file: dict[str, Any] | str | None = None
    build: BuildContext | None = None
    os_type: str = "linux"
    inference_config: dict[str, Any] | None = None
    datastore: str | None = None
    #: basin's own: build on the nearest installed Python when the pinned one is not here (also
    #: read from ``properties.allow_nearest_python``).
    allow_nearest_python: bool | None = None
    id: str | None = None
    archived: bool | None = None
    created_at: datetime | None = None
    # Set by the server:
    build_state: EnvironmentBuildState | None = None
    build_key: str | None = None
    build_message: str | None = None
    python_version: str | None = None
    lock: str | None = None
    notes: list[str] | None = None

    @field_validator("properties", mode="before")
    @classmethod
    def _text_properties(cls, value: Any) -> Any:
        # `--set properties.allow_nearest_python=true` parses as JSON true; properties are text.
        if isinstance(value, dict):
            return {k: str(v).lower() if isinstance(v, bool) else v for k, v in value.items()}
        return value

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value
