"""Which host names the forward proxy answers itself, and where everything else may go.

A ``HostRegistry`` maps a host name pattern to the ASGI app that serves it (the blob service for
``{account}.blob.core.windows.net``, the key vault data plane for ``{vault}.vault.azure.net``,
the token endpoints for ``login.microsoftonline.com``); a new surface (``management.azure.com``)
is one more ``add``. ``Passthrough`` says which other hosts may be reached through the proxy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "AZURE_DOMAINS",
    "HostMatch",
    "HostRegistry",
    "HostRoute",
    "Passthrough",
]

#: Every domain the proxy may answer for, now or later: what the CA's name constraints permit
#: besides the server's own names. A CA made before a domain joined this list is replaced when
#: the server starts (tls.ensure_certificate_authority: its constraints differ).
AZURE_DOMAINS = (
    "blob.core.windows.net",
    "vault.azure.net",
    "login.microsoftonline.com",
    "management.azure.com",
    "ml.azure.com",
)

ASGIApp = Any


@dataclass(frozen=True)
class HostRoute:
    """``pattern`` (a regular expression over the lower-case host name) served by ``app``.

    When the pattern has a group, its value is put in the request's scope extensions under
    ``extension`` (e.g. the storage account or vault name the host name carries).
    """

    name: str
    pattern: re.Pattern[str]
    app: ASGIApp
    extension: str | None = None


@dataclass(frozen=True)
class HostMatch:
    route: HostRoute
    label: str | None

    def scope_for(self, scope: Mapping[str, Any]) -> dict[str, Any]:
        """The request's scope with the host's label added as the route's extension."""
        if self.route.extension is None or self.label is None:
            return dict(scope)
        extensions = {**scope.get("extensions", {}), self.route.extension: self.label}
        return {**scope, "extensions": extensions}


class HostRegistry:
    """Host name patterns and the apps behind them, tried in the order they were added."""

    def __init__(self) -> None:
        self._routes: list[HostRoute] = []

    def add(
        self, name: str, pattern: str, app: ASGIApp, *, extension: str | None = None
    ) -> HostRegistry:
        compiled = re.compile(pattern)
        if extension is not None and compiled.groups != 1:
            raise ValueError(f"The host pattern of {name} needs one group for {extension}.")
        self._routes.append(HostRoute(name, compiled, app, extension))
        return self

    def match(self, host: str) -> HostMatch | None:
        host = host.lower().rstrip(".")
        for route in self._routes:
            found = route.pattern.fullmatch(host)
            if found is not None:
                return HostMatch(route, found.group(1) if route.pattern.groups else None)
        return None

    @property
    def routes(self) -> tuple[HostRoute, ...]:
        return tuple(self._routes)


class Passthrough:
    """Hosts the proxy forwards to their real destination instead of refusing them.

    Patterns: ``*`` (everything), ``example.com`` (that host), ``*.example.com`` (any host
    under it). ``always`` are (host, port) pairs that are forwarded whatever the patterns say:
    the server's own listening addresses, so a client whose NO_PROXY misses them still works.
    """

    def __init__(
        self, patterns: Iterable[str] = (), always: Iterable[tuple[str, int]] = ()
    ) -> None:
        self.patterns = tuple(p.strip().lower() for p in patterns if p.strip())
        self._always = {(h.lower().strip("[]"), p) for h, p in always}

    def allows(self, host: str, port: int) -> bool:
        host = host.lower().rstrip(".").strip("[]")
        if (host, port) in self._always:
            return True
        for pattern in self.patterns:
            if pattern == "*" or pattern == host:
                return True
            if pattern.startswith("*.") and host.endswith(pattern[1:]):
                return True
        return False
