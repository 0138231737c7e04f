"""HTTP probes that never block the supervisor: one non-blocking GET each, driven by the reactor."""

from __future__ import annotations

import contextlib
import errno
import selectors
import socket
from dataclasses import dataclass

from basin.compute.local._reactor import Reactor
from basin.compute.models import ProbeSettings

__all__ = ["HttpProbe", "ProbeTrack"]

_MAX_HEAD = 8192  # a status line longer than this is not an HTTP answer


class HttpProbe:
    """``GET {host}:{port}{path}``: healthy when the answer's status is 200.

    Only the status line is read; the connection is closed right after. ``result`` stays None
    until the answer (or a failure) arrives; the owner calls ``expire`` at ``deadline``.
    """

    def __init__(
        self, reactor: Reactor, port: int, path: str, deadline: float, host: str = "127.0.0.1"
    ) -> None:
        self.deadline = deadline
        self.result: bool | None = None
        self._reactor = reactor
        self._request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "User-Agent: basin-probe\r\nConnection: close\r\n\r\n"
        ).encode("ascii")
        self._head = b""
        self._sent = False
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._sock = socket.socket(family, socket.SOCK_STREAM)
        self._sock.setblocking(False)
        code = self._sock.connect_ex((host, port))
        if code not in (0, errno.EINPROGRESS):
            self._finish(False)
            return
        reactor.watch(self._sock, selectors.EVENT_WRITE, self._on_ready)

    def expire(self) -> None:
        if self.result is None:
            self._finish(False)

    def cancel(self) -> None:
        if self.result is None:
            self._finish(False)

    def _on_ready(self) -> None:
        try:
            if not self._sent:
                self._send()
            else:
                self._receive()
        except OSError:
            self._finish(False)

    def _send(self) -> None:
        if self._sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
            self._finish(False)  # connection refused: nothing listens yet
            return
        self._sock.sendall(self._request)  # a few dozen bytes: fits any socket buffer
        self._sent = True
        self._reactor.watch(self._sock, selectors.EVENT_READ, self._on_ready)

    def _receive(self) -> None:
        try:
            chunk = self._sock.recv(4096)
        except BlockingIOError:
            return
        self._head += chunk
        if b"\r\n" in self._head or not chunk or len(self._head) > _MAX_HEAD:
            status_line = self._head.split(b"\r\n", 1)[0].split()
            ok = (
                len(status_line) >= 2
                and status_line[0].startswith(b"HTTP/")
                and status_line[1] == b"200"
            )
            self._finish(ok)

    def _finish(self, ok: bool) -> None:
        self.result = ok
        self._reactor.unwatch(self._sock)
        with contextlib.suppress(OSError):
            self._sock.close()


@dataclass
class ProbeTrack:
    """One probe kind (liveness or readiness) of one replica process: counters and schedule."""

    settings: ProbeSettings
    next_due: float
    successes: int = 0
    failures: int = 0
    probe: HttpProbe | None = None

    def record(self, ok: bool) -> None:
        if ok:
            self.successes += 1
            self.failures = 0
        else:
            self.failures += 1
            self.successes = 0

    def cancel(self) -> None:
        if self.probe is not None:
            self.probe.cancel()
            self.probe = None

    def next_event(self) -> float:
        if self.probe is None:
            return self.next_due
        # An answered probe (or one refused at connect) is handled on the very next step.
        return self.probe.deadline if self.probe.result is None else float("-inf")
