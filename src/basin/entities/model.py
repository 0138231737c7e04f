"""Models, with the field names of Azure ML's model YAML and ``azure.ai.ml.entities.Model``."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import Field, field_validator

from basin.entities._base import Entity

__all__ = ["Model", "ModelType"]


class ModelType(StrEnum):
    CUSTOM = "custom_model"
    MLFLOW = "mlflow_model"
    TRITON = "triton_model"


class Model(Entity):
    resource_type: ClassVar[str] = "Microsoft.MachineLearningServices/workspaces/models/versions"

    #: Optional only for a deployment's inline model (registered anonymously).
    name: str | None = None
    version: str | None = None
    path: str | None = None
    type: ModelType = ModelType.CUSTOM
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    properties: dict[str, str] = Field(default_factory=dict)
    stage: str | None = None
    flavors: dict[str, Any] | None = None
    datastore: str | None = None
    id: str | None = None
    job_name: str | None = None
    latest_version: str | None = None
    archived: bool | None = None
    created_at: datetime | None = None

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        # YAML writes `version: 1`; Azure ML keeps versions as strings.
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value
