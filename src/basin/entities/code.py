"""Code assets: a scoring folder uploaded once and referenced by deployments
(``azureml:<name>:<version>``), as Azure ML's ``Code`` (``azure.ai.ml.entities.Code``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field, field_validator

from basin.entities._base import Entity

__all__ = ["Code"]


class Code(Entity):
    resource_type: ClassVar[str] = "Microsoft.MachineLearningServices/workspaces/codes/versions"

    name: str | None = None
    version: str | None = None
    #: Where the files are: ``azureml://datastores/<store>/paths/<path>`` or a blob URL in the
    #: workspace's own storage account (``https://{account}.blob.core.windows.net/{c}/{path}``).
    path: str | None = None
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    properties: dict[str, str] = Field(default_factory=dict)
    is_anonymous: bool = False
    id: str | None = None
    archived: bool | None = None
    created_at: datetime | None = None

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value
