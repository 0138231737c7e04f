"""Where the SDK and CLI find the server and a credential: arguments, environment, then the file.

Order: explicit arguments, then ``BASIN_SERVER`` / ``BASIN_TOKEN``, then
``$BASIN_HOME/credentials.json`` (written by ``basin server`` on first start, mode 0600).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from basin.errors import AuthenticationError

__all__ = ["Connection", "basin_home", "resolve_connection"]


def basin_home() -> Path:
    return Path(os.environ.get("BASIN_HOME") or Path.home() / ".basin").expanduser()


@dataclass(frozen=True)
class Connection:
    server: str
    token: str
    ca_file: str | None = None

    def __repr__(self) -> str:  # never show the token
        return f"Connection(server={self.server!r}, token=***)"


def _read_file(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def resolve_connection(server: str | None = None, token: str | None = None) -> Connection:
    home = basin_home()
    stored = _read_file(home / "credentials.json")
    server = server or os.environ.get("BASIN_SERVER") or stored.get("server")
    token = token or os.environ.get("BASIN_TOKEN") or stored.get("token")
    if not server or not token:
        missing = "server address" if not server else "token"
        raise AuthenticationError(
            f"No basin {missing} found: start 'basin server' on this machine (it writes "
            f"{home / 'credentials.json'}), or set BASIN_SERVER and BASIN_TOKEN, or pass "
            "--server/--token."
        )
    ca = os.environ.get("BASIN_CA_FILE") or stored.get("ca_file")
    return Connection(server.rstrip("/"), token, ca)
