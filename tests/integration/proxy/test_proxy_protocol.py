"""ProxyProtocol on real sockets: CONNECT, TLS termination with leaf certificates, refusals."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from basin.server.proxy import AZURE_DOMAINS, Passthrough, azure_hosts, proxy_config
from basin.tls import LeafCertificates, ensure_certificate_authority


async def _echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    account = scope["extensions"]["basin.host_account"]
    answer = f"{scope['scheme']} {account} {scope['method']} {scope['path']} {len(body)}".encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", str(len(answer)).encode())]})  # fmt: skip
    await send({"type": "http.response.body", "body": answer})


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    folder = tmp_path_factory.mktemp("proxy")
    ca = ensure_certificate_authority(folder / "ca", permitted=[*AZURE_DOMAINS, "127.0.0.1"])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    config = proxy_config(
        azure_hosts(blob=_echo), Passthrough(), LeafCertificates(ca, folder / "leaves"),
        loop="asyncio",
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    yield sock.getsockname()[1], ca.cert_path
    server.should_exit = True
    thread.join(10)


def _connect(port: int, target: str) -> tuple[socket.socket, bytes]:
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    raw.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = raw.recv(4096)
        if not chunk:
            break
        head += chunk
    return raw, head


def _read_response(tls: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        data += tls.recv(4096)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length")))  # fmt: skip
    while len(body) < length:
        body += tls.recv(4096)
    return head.split(b"\r\n")[0] + b" " + body


def test_a_tunnel_serves_many_requests_with_a_certificate_for_its_host(
    proxy: tuple[int, Path],
) -> None:
    port, ca = proxy
    raw, head = _connect(port, "acct1.blob.core.windows.net:443")
    assert head.startswith(b"HTTP/1.1 200")
    client = ssl.create_default_context(cafile=str(ca))
    with client.wrap_socket(raw, server_hostname="acct1.blob.core.windows.net") as tls:
        for i in range(20):  # one tunnel, one TLS session, keep-alive
            body = b"x" * (i * 100)
            tls.sendall(
                b"PUT /c/b%d HTTP/1.1\r\nHost: acct1.blob.core.windows.net\r\n" % i
                + b"Content-Length: %d\r\n\r\n" % len(body)
            )
            tls.sendall(body)  # headers and body in separate writes, as urllib3 sends them
            answer = _read_response(tls)
            assert answer == b"HTTP/1.1 200 OK https acct1 PUT /c/b%d %d" % (i, len(body))


def test_plain_http_requests_to_served_hosts(proxy: tuple[int, Path]) -> None:
    port, _ = proxy
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.sendall(b"GET http://acct2.blob.core.windows.net/c/b HTTP/1.1\r\n"
                    b"Host: acct2.blob.core.windows.net\r\n\r\n")  # fmt: skip
        # head and body may arrive in separate segments
        assert _read_response(raw) == b"HTTP/1.1 200 OK http acct2 GET /c/b 0"


@pytest.mark.parametrize(
    ("request_line", "status", "fragment"),
    [
        (b"CONNECT www.example.com:443 HTTP/1.1", b"403", b"basin proxy refuses www.example.com"),
        (b"CONNECT acct1.blob.core.windows.net:80 HTTP/1.1", b"403", b"refuses acct1"),
        (b"CONNECT nonsense", b"400", b"Malformed CONNECT"),
    ],
)
def test_refused_connects_say_why(
    proxy: tuple[int, Path], request_line: bytes, status: bytes, fragment: bytes
) -> None:
    port, _ = proxy
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.sendall(request_line + b"\r\nHost: x\r\n\r\n")
        answer = b""
        while chunk := raw.recv(4096):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 " + status) and fragment in answer
