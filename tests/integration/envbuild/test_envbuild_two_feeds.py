"""Two feeds on one host, told apart by path, each with its own token."""

from __future__ import annotations

import base64
import http.client
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from envbuild_helpers import make_wheel, start_pypiserver

from basin.envbuild import EnvironmentBuilder, FeedCredential, spec_from_requirements

Builder = Callable[..., EnvironmentBuilder]


class PathProxy(ThreadingHTTPServer):
    """Serves /<prefix>/... from a backend server, rewriting its absolute links.

    Records (prefix, username) for every request so the test can see who sent what where.
    """

    def __init__(self, backends: dict[str, int]) -> None:
        self.backends = backends
        self.seen: list[tuple[str, str | None]] = []
        super().__init__(("127.0.0.1", 0), _ProxyHandler)


class _ProxyHandler(BaseHTTPRequestHandler):
    server: PathProxy

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_HEAD(self) -> None:
        self._forward("HEAD")

    def do_GET(self) -> None:
        self._forward("GET")

    def _forward(self, method: str) -> None:
        prefix, _, rest = self.path.lstrip("/").partition("/")
        port = self.server.backends.get(prefix)
        auth = self.headers.get("Authorization")
        user = base64.b64decode(auth.split()[1]).decode().split(":")[0] if auth else None
        self.server.seen.append((prefix, user))
        if port is None:
            self.send_error(404)
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        backend = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        backend.request(method, "/" + rest, headers=headers)
        response = backend.getresponse()
        body = response.read()
        if "html" in (response.getheader("Content-Type") or ""):
            body = body.replace(b'href="/', f'href="/{prefix}/'.encode())
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() in (
                "content-length",
                "transfer-encoding",
                "connection",
                "date",
                "server",
            ):
                continue
            if name.lower() == "location" and value.startswith("/"):
                value = f"/{prefix}{value}"
            self.send_header(name, value)
        length = response.getheader("Content-Length", "0") if method == "HEAD" else len(body)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        if method == "GET":
            self.wfile.write(body)
        backend.close()


@pytest.fixture
def two_feeds(tmp_path: Path) -> Iterator[tuple[str, FeedCredential, FeedCredential, PathProxy]]:
    servers = []
    ports = {}
    for feed, package, user in (("feedA", "feed-a-pkg", "alice"), ("feedB", "feed-b-pkg", "bob")):
        folder = tmp_path / feed
        (folder / "packages").mkdir(parents=True)
        make_wheel(folder / "packages", package, "1.0")
        process, index = start_pypiserver(folder / "packages", folder, user, f"tok-{user}-9f8e7d")
        servers.append(process)
        ports[feed] = int(index.url.rsplit(":", 1)[1].strip("/"))
    proxy = PathProxy(ports)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{proxy.server_address[1]}"
    feed_a = FeedCredential(f"{base}/feedA", "alice", "tok-alice-9f8e7d")
    feed_b = FeedCredential(f"{base}/feedB/", "bob", "tok-bob-9f8e7d")
    yield base, feed_a, feed_b, proxy
    proxy.shutdown()
    proxy.server_close()
    for process in servers:
        process.terminate()
        process.wait(timeout=30)


def test_each_feed_gets_only_its_own_token(
    two_feeds: tuple[str, FeedCredential, FeedCredential, PathProxy], make_builder: Builder
) -> None:
    base, feed_a, feed_b, proxy = two_feeds
    text = (
        f"--index-url {base}/feedA/simple/\n"
        f"--extra-index-url {base}/feedB/simple/\n"
        "feed-a-pkg\nfeed-b-pkg\n"
    )
    spec = spec_from_requirements(text, python="3.11").spec
    env = make_builder().build(spec, credentials=[feed_a, feed_b])

    assert "feed-a-pkg==1.0" in env.lock and "feed-b-pkg==1.0" in env.lock
    users = {prefix: {user for p, user in proxy.seen if p == prefix} for prefix, _ in proxy.seen}
    assert users["feedA"] <= {"alice", None} and "alice" in users["feedA"]
    assert users["feedB"] <= {"bob", None} and "bob" in users["feedB"]
