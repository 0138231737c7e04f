"""Free loopback ports for the servers tests start, outside the kernel's ephemeral range.

A port from ``bind(("127.0.0.1", 0))`` comes from the ephemeral range, the same range every
outgoing connection's local port comes from: between the moment a test is told the port is
free and the moment its server binds it, a client connection (there are thousands in a run)
may take it, and the server fails with "address already in use" (CI saw it once: a whole
module's fixture failed). Ports here come from 12000-22999, which no connection is given
(below Linux's 32768-60999, and below the Ray test cluster's 23000-31999).
"""

from __future__ import annotations

import random
import socket

__all__ = ["PORTS", "free_port"]

PORTS = range(12000, 23000)
_random = random.Random()


def free_port(host: str = "127.0.0.1") -> int:
    """A port of ``PORTS`` that nothing is bound to at ``host`` now."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(200):
        port = _random.randrange(PORTS.start, PORTS.stop)
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
        return port
    raise OSError(f"no free port in {PORTS.start}-{PORTS.stop - 1} at {host}")
