"""Test servers' ports come from outside the range outgoing connections take theirs from.

CI once failed a whole module (tests/integration/runtime/test_runtime_parity.py): a runtime
was given a port from bind(0), a client connection took it as its local port first, and the
runtime's bind failed with "address already in use".
"""

from __future__ import annotations

import socket
from pathlib import Path

from basin.testing.ports import PORTS, free_port


def test_a_free_port_is_outside_the_ephemeral_range_and_bindable() -> None:
    low, high = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    for _ in range(50):
        port = free_port()
        assert port in PORTS and not low <= port <= high
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


def test_a_port_in_use_is_not_handed_out() -> None:
    taken = []
    try:
        for port in PORTS[:2000]:  # a block of the range bound here: never one of those
            sock = socket.socket()
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                sock.close()
                continue
            taken.append(sock)
        busy = {s.getsockname()[1] for s in taken}
        assert all(free_port() not in busy for _ in range(200))
    finally:
        for sock in taken:
            sock.close()
