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


#: azure.ai.ml names basin does not have, with what to use instead.
_INSTEAD = {
    "load_compute": "basin runs deployments on its own compute; there is no compute to load",
    "load_job": "jobs are not part of basin yet",
    "load_component": "components are not part of basin",
    "load_data": "data assets are not part of basin yet; give local paths or datastore URIs",
    "load_batch_endpoint": "batch endpoints are not part of basin yet",
    "load_batch_deployment": "batch endpoints are not part of basin yet",
    "load_registry": "registries are not part of basin",
    "command": "jobs are not part of basin yet",
    "Input": "jobs are not part of basin yet",
    "Output": "jobs are not part of basin yet",
    "dsl": "pipelines are not part of basin",
}


def __getattr__(name: str) -> Any:
    if name in _INSTEAD:
        raise ImportError(f"basin has no {name} (azure.ai.ml.{name}): {_INSTEAD[name]}.")
    if name == "MLClient":
        from basin.sdk import MLClient

        return MLClient
    if name.startswith("load_"):
        from basin import loaders

        return getattr(loaders, name)
    raise AttributeError(f"module 'basin' has no attribute {name!r}")
