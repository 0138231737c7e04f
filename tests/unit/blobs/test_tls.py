"""basin.tls: a CA created once, server certificates it signs, real TLS handshakes."""

from __future__ import annotations

import socket
import ssl
import stat
import threading
from pathlib import Path

import pytest
from cryptography import x509

from basin.errors import ValidationError
from basin.tls import (
    ensure_certificate_authority,
    ensure_server_certificate,
    load_server_certificate,
)


def _handshake(ca_file: Path, cert: Path, key: Path, host: str) -> str:
    """Serve one TLS handshake on loopback; return the client's view of the peer subject."""
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _ = listener.accept()
        try:
            with server_ctx.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)
        except (ssl.SSLError, OSError):
            pass

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        client_ctx = ssl.create_default_context(cafile=str(ca_file))
        with (
            socket.create_connection(("127.0.0.1", port)) as raw,
            client_ctx.wrap_socket(raw, server_hostname=host) as tls,
        ):
            peer = tls.getpeercert()
            assert peer is not None
            tls.send(b"x")
            return str(peer["subject"])
    finally:
        thread.join(timeout=10)
        listener.close()


def test_ca_and_server_certificate_are_made_once_and_trusted(tmp_path: Path) -> None:
    ca = ensure_certificate_authority(tmp_path / "ca")
    server = ensure_server_certificate(ca, tmp_path / "server", ["127.0.0.1", "localhost"])
    for private in (ca.key_path, server.key_path):
        assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert _handshake(ca.cert_path, server.cert_path, server.key_path, "127.0.0.1")
    assert _handshake(ca.cert_path, server.cert_path, server.key_path, "localhost")

    again = ensure_certificate_authority(tmp_path / "ca")
    assert again.certificate == ca.certificate
    same = ensure_server_certificate(again, tmp_path / "server", ["localhost"])
    assert same.cert_path.read_bytes() == server.cert_path.read_bytes()


def test_a_new_host_gets_a_new_certificate(tmp_path: Path) -> None:
    ca = ensure_certificate_authority(tmp_path)
    first = ensure_server_certificate(ca, tmp_path, ["127.0.0.1"]).cert_path.read_bytes()
    second = ensure_server_certificate(ca, tmp_path, ["127.0.0.1", "basin.internal"])
    assert second.cert_path.read_bytes() != first
    leaf = x509.load_pem_x509_certificate(second.cert_path.read_bytes())
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "basin.internal" in names.get_values_for_type(x509.DNSName)


def test_a_certificate_from_another_ca_is_not_trusted(tmp_path: Path) -> None:
    ours = ensure_certificate_authority(tmp_path / "ours")
    theirs = ensure_certificate_authority(tmp_path / "theirs")
    server = ensure_server_certificate(theirs, tmp_path / "server", ["127.0.0.1"])
    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(ours.cert_path, server.cert_path, server.key_path, "127.0.0.1")


def test_operator_files_are_checked(tmp_path: Path) -> None:
    ca = ensure_certificate_authority(tmp_path / "ca")
    one = ensure_server_certificate(ca, tmp_path / "one", ["127.0.0.1"])
    two = ensure_server_certificate(ca, tmp_path / "two", ["127.0.0.1"])
    assert load_server_certificate(one.cert_path, one.key_path) == one
    with pytest.raises(ValidationError):
        load_server_certificate(one.cert_path, two.key_path)
    with pytest.raises(ValidationError):
        load_server_certificate(tmp_path / "missing.pem", one.key_path)
