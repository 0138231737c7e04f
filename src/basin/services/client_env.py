"""The environment a program needs to reach basin at Azure's own host names.

Replicas get it by default; people get it from ``basin env`` (in ``export`` form) for notebooks
and scripts. It routes HTTPS through basin's forward proxy (``HTTPS_PROXY``), keeps loopback and
the managed-identity endpoint direct (``NO_PROXY``), and makes requests, urllib, OpenSSL-based
clients and curl trust basin's CA (the bundle also holds the system's CAs, so other hosts the
proxy passes through still verify).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from basin.services.platform import Platform

__all__ = ["PROXY_VARIABLES", "client_environment"]

#: Variables set in both cases: curl reads only the lower-case ones for some, Python both.
PROXY_VARIABLES = ("HTTPS_PROXY", "NO_PROXY")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
_CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE")


def client_environment(platform: Platform) -> dict[str, str]:
    """Variable -> value; empty where the server runs no proxy."""
    env: dict[str, str] = {}
    if platform.proxy_endpoint:
        direct = list(_LOOPBACK)
        for endpoint in (platform.api_endpoint, platform.gateway_endpoint):
            host = urlsplit(endpoint).hostname if endpoint else None
            if host and host not in direct:
                direct.append(host)
        values = {"HTTPS_PROXY": platform.proxy_endpoint, "NO_PROXY": ",".join(direct)}
        for name, value in values.items():
            env[name] = value
            env[name.lower()] = value
    if platform.ca_bundle is not None:
        for name in _CA_VARIABLES:
            env[name] = str(platform.ca_bundle)
    return env
