"""Monitoring sinks (Azure's Application Insights component of a workspace)."""

from __future__ import annotations

from typing import ClassVar

from basin.entities.arm import ArmResource

__all__ = ["ApplicationInsights"]


class ApplicationInsights(ArmResource):
    resource_type: ClassVar[str] = "Microsoft.Insights/components"

    instrumentation_key: str | None = None
    connection_string: str | None = None
