"""basin's HTTPS forward proxy: Azure's public host names answered by basin's own services.

``azure_hosts`` is the registry of what it serves (a new surface, such as the ARM API at
``management.azure.com``, is one more ``add``); ``ProxyApp`` dispatches by host; the
``ProxyProtocol`` adds ``CONNECT`` (TLS terminated with leaf certificates from basin's CA) to
uvicorn's HTTP protocol. It runs in the server process, on the server's event loop, next to the
blob service (``docs/architecture.md`` says why).
"""

from __future__ import annotations

from typing import Any

import uvicorn

from basin.server.blob._wire import HOST_ACCOUNT
from basin.server.keyvault import VAULT_NAME
from basin.server.proxy.app import ProxyApp, refusal
from basin.server.proxy.hosts import AZURE_DOMAINS, HostRegistry, HostRoute, Passthrough
from basin.server.proxy.protocol import ProxyFront, ProxyProtocol
from basin.tls import LeafCertificates

__all__ = [
    "AZURE_DOMAINS",
    "HostRegistry",
    "HostRoute",
    "Passthrough",
    "ProxyApp",
    "ProxyFront",
    "ProxyProtocol",
    "azure_hosts",
    "proxy_config",
    "refusal",
]


def azure_hosts(
    *, blob: Any, keyvault: Any = None, login: Any = None, management: Any = None
) -> HostRegistry:
    """The Azure host names basin answers, each with the ASGI app that serves it."""
    registry = HostRegistry().add(
        "blob", r"([a-z0-9]{3,24})\.blob\.core\.windows\.net", blob, extension=HOST_ACCOUNT
    )
    if keyvault is not None:
        registry.add(
            "keyvault",
            r"([a-z][a-z0-9-]{1,22}[a-z0-9])\.vault\.azure\.net",
            keyvault,
            extension=VAULT_NAME,
        )
    if login is not None:
        registry.add("login", r"login\.microsoftonline\.com", login)
    if management is not None:
        registry.add("management", r"management\.azure\.com", management)
        # ml.azure.com's REST API (model management) shares the ARM adapter's token check
        registry.add("studio-api", r"ml\.azure\.com", management)
    return registry


def proxy_config(
    registry: HostRegistry,
    passthrough: Passthrough,
    certificates: LeafCertificates,
    **options: Any,
) -> uvicorn.Config:
    """A uvicorn config serving the proxy (give it a socket, or ``host``/``port``)."""
    front = ProxyFront(ProxyApp(registry, passthrough), certificates)
    settings: dict[str, Any] = {
        "log_level": "warning",
        "access_log": False,  # query strings carry SAS signatures; the app logs without them
        "date_header": False,  # the blob service sends its own Date; the app adds it elsewhere
        "server_header": False,
        "proxy_headers": False,
        "lifespan": "off",
    } | options
    return uvicorn.Config(front.app, http=ProxyProtocol.bound(front), **settings)
