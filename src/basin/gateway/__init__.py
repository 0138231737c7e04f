"""basin's data plane: the front door of online endpoints.

A raw ASGI app (:class:`GatewayApp`) checks the endpoint key or token, splits traffic between
deployments (or follows the ``azureml-model-deployment`` header), enforces the request limits and
timeouts, mirrors a share of traffic, and streams requests to the ready replicas and their answers
back with Azure ML's status codes. It is driven by an in-memory :class:`RoutingTable` that the
control plane updates; nothing on the request path touches a database or the management API.

    table = RoutingTable([EndpointRoute("my-endpoint", keys=(primary, secondary),
                                        traffic={"blue": 100},
                                        deployments={"blue": DeploymentRoute(("127.0.0.1:5001",))})])
    with GatewayThread(GatewayApp(table, sink=records.append)) as gateway:
        ...  # POST http://127.0.0.1:{gateway.port}/endpoints/my-endpoint/score
    table.set_replicas("my-endpoint", "blue", ["127.0.0.1:5001", "127.0.0.1:5002"])

Run alone, fed by a JSON file: ``python -m basin.gateway --table routes.json --port 8080``.

The request path's modules run compiled by mypyc where ``make`` could build them (``basin.native``).
"""

from __future__ import annotations

from basin import native

native.enable(__path__)  # before any module of the request path is imported

from basin.gateway.app import DEFAULT_MAX_BODY_BYTES, GatewayApp
from basin.gateway.records import RequestRecord, RequestSink
from basin.gateway.server import GatewayThread, front_server
from basin.gateway.table import (
    DEFAULT_MAX_CONCURRENT_REQUESTS_PER_INSTANCE,
    DEFAULT_REQUEST_TIMEOUT_MS,
    AuthMode,
    DeploymentRoute,
    EndpointRoute,
    MirrorTraffic,
    RoutingTable,
    TokenVerifier,
)

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_MAX_CONCURRENT_REQUESTS_PER_INSTANCE",
    "DEFAULT_REQUEST_TIMEOUT_MS",
    "AuthMode",
    "DeploymentRoute",
    "EndpointRoute",
    "GatewayApp",
    "GatewayThread",
    "MirrorTraffic",
    "RequestRecord",
    "RequestSink",
    "RoutingTable",
    "TokenVerifier",
    "front_server",
]
