"""Managed online deployments, with azure-ai-ml's names (``ManagedOnlineDeployment``,
``CodeConfiguration``, ``OnlineRequestSettings``, ``ProbeSettings``) and the YAML's fields."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field, field_validator, model_validator

from basin.entities._base import Entity
from basin.entities.environment import Environment
from basin.entities.model import Model

__all__ = [
    "CodeConfiguration",
    "DefaultScaleSettings",
    "ManagedOnlineDeployment",
    "OnlineRequestSettings",
    "ProbeSettings",
]


class CodeConfiguration(Entity):
    code: str
    scoring_script: str


class OnlineRequestSettings(Entity):
    request_timeout_ms: int = Field(default=5000, ge=1, le=180000)
    max_concurrent_requests_per_instance: int = Field(default=1, ge=1, le=1000)
    max_queue_wait_ms: int = Field(default=500, ge=0)


class ProbeSettings(Entity):
    """Seconds and counts, as Azure ML's probe fields."""

    initial_delay: int = Field(default=10, ge=0)
    period: int = Field(default=10, ge=1)
    timeout: int = Field(default=2, ge=1)
    success_threshold: int = Field(default=1, ge=1)
    failure_threshold: int = Field(default=30, ge=1)


class DefaultScaleSettings(Entity):
    type: str = "default"

    @model_validator(mode="before")
    @classmethod
    def _default_only(cls, value: Any) -> Any:
        # azure-ai-ml loads target_utilization for any deployment; Azure ML refuses it for
        # managed ones, whose instance_count is fixed (autoscale is Azure Monitor's, not YAML).
        kind = value.get("type", "default") if isinstance(value, dict) else "default"
        if kind != "default":
            raise ValueError(
                f"type '{kind}' is not supported: managed online deployments take type 'default' "
                "(a fixed instance_count); 'target_utilization' is for Kubernetes deployments"
            )
        return value


class ManagedOnlineDeployment(Entity):
    resource_type: ClassVar[str] = (
        "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments"
    )

    name: str
    endpoint_name: str | None = None
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    properties: dict[str, str] = Field(default_factory=dict)
    model: str | Model | None = None
    model_mount_path: str | None = None
    code_configuration: CodeConfiguration | None = None
    environment: str | Environment | None = None
    environment_variables: dict[str, str] = Field(default_factory=dict)
    instance_type: str | None = None
    instance_count: int = Field(default=1, ge=0, le=100)
    app_insights_enabled: bool = False
    scale_settings: DefaultScaleSettings | None = None
    request_settings: OnlineRequestSettings = Field(default_factory=OnlineRequestSettings)
    liveness_probe: ProbeSettings = Field(default_factory=ProbeSettings)
    readiness_probe: ProbeSettings = Field(default_factory=ProbeSettings)
    egress_public_network_access: str | None = None
    data_collector: dict[str, Any] | None = None
    type: str | None = None
    # Set by the server:
    id: str | None = None
    provisioning_state: str | None = None
    provisioning_message: str | None = None
    created_at: datetime | None = None

    @field_validator("environment_variables", mode="before")
    @classmethod
    def _text_values(cls, value: Any) -> Any:
        # YAML turns `WORKER_COUNT: 2` into an int; the process environment holds text. A list,
        # a mapping or nothing has no text form a script could expect: refused, not stringified.
        if isinstance(value, dict):
            for k, v in value.items():
                if not isinstance(v, str | int | float | bool):
                    shown = "null" if v is None else type(v).__name__
                    raise ValueError(
                        f"environment variable '{k}' must be text, a number or true/false, "
                        f"not a {shown}; quote it in YAML to pass it as text"
                    )
            return {
                k: v if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else str(v)
                for k, v in value.items()
            }
        return value

    @field_validator("type", mode="before")
    @classmethod
    def _managed_only(cls, value: Any) -> Any:
        if value not in (None, "managed"):
            raise ValueError("only 'managed' deployments run on basin (no Kubernetes compute)")
        return value
