"""basin: a self-hosted machine-learning platform compatible with Azure ML v2.

The names are loaded lazily (PEP 562) so that ``basin.runtime``, which runs inside user
environments, can be imported without the SDK's dependencies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = [
    "MLClient",
    "load_connection",
    "load_environment",
    "load_model",
    "load_online_deployment",
    "load_online_endpoint",
    "load_workspace",
    "load_workspace_connection",
]
__version__ = "0.1.0"

if TYPE_CHECKING:
    from basin.loaders import (
        load_connection,
        load_environment,
        load_model,
        load_online_deployment,
        load_online_endpoint,
        load_workspace,
        load_workspace_connection,
    )
    from basin.sdk import MLClient


def __getattr__(name: str) -> Any:
    if name == "MLClient":
        from basin.sdk import MLClient

        return MLClient
    if name.startswith("load_"):
        from basin import loaders

        return getattr(loaders, name)
    raise AttributeError(f"module 'basin' has no attribute {name!r}")
