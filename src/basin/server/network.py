"""``public_network_access: Disabled``: answer only loopback and the configured private networks."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from basin.entities import PublicNetworkAccess, Workspace
from basin.errors import AuthorizationError

__all__ = ["NetworkPolicy"]


class NetworkPolicy:
    def __init__(self, trusted_networks: Sequence[str] = ()) -> None:
        self._trusted = [ipaddress.ip_network(n, strict=False) for n in trusted_networks]

    @staticmethod
    def is_loopback(host: str | None) -> bool:
        try:
            return host is not None and ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False

    def is_private(self, host: str | None) -> bool:
        if host is None:
            return False
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return address.is_loopback or any(address in network for network in self._trusted)

    def check(self, workspace: Workspace, client_host: str | None) -> None:
        if workspace.public_network_access != PublicNetworkAccess.DISABLED:
            return
        if not self.is_private(client_host):
            raise AuthorizationError(
                f"Workspace '{workspace.name}' has public network access disabled: it answers "
                "only calls from loopback or the server's trusted private networks."
            )
