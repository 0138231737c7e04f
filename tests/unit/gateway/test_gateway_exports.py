"""The public names of basin.gateway (a change here is a change for the lead's wiring)."""

from __future__ import annotations

import basin.gateway


def test_exported_names() -> None:
    assert set(basin.gateway.__all__) == {
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
    }
    for name in basin.gateway.__all__:
        assert getattr(basin.gateway, name) is not None
