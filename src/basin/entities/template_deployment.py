"""A template deployment (``Microsoft.Resources/deployments``): what was asked and what it made.

basin runs one template, Azure ML's workspace template (azure-ai-ml's ``workspaces.begin_create``
sends it); the record keeps its parameters and the resources it made, so the deployment's GET and
its operations list answer as Azure's do.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field

from basin.entities.arm import ArmResource

__all__ = ["TemplateDeployment"]


class TemplateDeployment(ArmResource):
    resource_type: ClassVar[str] = "Microsoft.Resources/deployments"

    parameters: dict[str, Any] = Field(default_factory=dict)
    mode: str = "Incremental"
    #: The resources the template stands for (made now, or existing ones it used).
    output_resources: list[str] = Field(default_factory=list)
    #: The ones it made.
    created_resources: list[str] = Field(default_factory=list)
    duration_s: float = 0.0
    error: str | None = None
    created_at: datetime | None = None
