"""Serving the gateway (its own front server on uvloop): in a thread, or as the main loop."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable

from basin.gateway.app import GatewayApp
from basin.gateway.front import FrontServer

__all__ = ["GatewayThread", "bind", "front_server", "new_event_loop"]


def bind(host: str = "127.0.0.1", port: int = 0, reuse_port: bool = False) -> socket.socket:
    """A listening socket (port 0: the system picks a free one; read it from the socket).

    ``reuse_port``: several processes listen on the same port and the kernel spreads the
    connections between them (``SO_REUSEPORT``): the gateway's workers.
    """
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def front_server(app: GatewayApp) -> FrontServer:
    """The gateway's HTTP server: keep-alive 5 s, requests in flight get 30 s at a stop, and
    the app's task-free path for requests that arrive whole."""
    return FrontServer(app, answer_now=app.answer_now, keep_alive_s=5.0, graceful_s=30.0)


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A uvloop loop where uvloop is installed, else asyncio's own."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency (uvicorn[standard])
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


class GatewayThread:
    """The gateway served on its own event loop in a background thread.

    For running the data plane inside another process (and for tests)::

        with GatewayThread(GatewayApp(table)) as gateway:
            url = f"http://127.0.0.1:{gateway.port}/endpoints/my-endpoint/score"
    """

    def __init__(self, app: GatewayApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self._sock = bind(host, port)
        self.port: int = self._sock.getsockname()[1]
        self._server = front_server(app)
        self._thread = threading.Thread(target=self._run, name="basin-gateway", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._error: BaseException | None = None

    def _run(self) -> None:
        loop = self._loop = new_event_loop()
        try:
            loop.run_until_complete(self._server.serve(sockets=[self._sock]))
        except BaseException as ex:  # surfaced by start()
            self._error = ex
        finally:
            loop.close()

    def start(self) -> GatewayThread:
        self._thread.start()
        while not self._server.started and self._thread.is_alive():
            self._thread.join(0.01)
        if not self._server.started:
            raise RuntimeError(f"the gateway did not start: {self._error!r}")
        return self

    def call_soon(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` on the gateway's loop (thread-safe)."""
        assert self._loop is not None
        self._loop.call_soon_threadsafe(callback)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(30)
        self._sock.close()

    def __enter__(self) -> GatewayThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
