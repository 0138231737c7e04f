"""basin.tls: a CA created once, server certificates it signs, real TLS handshakes."""

from __future__ import annotations

import hashlib
import socket
import ssl
import stat
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from basin.errors import ValidationError
from basin.tls import (
    LeafCertificates,
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


# ---------------------------------------------------------------- name constraints and leaves
PERMITTED = ["blob.core.windows.net", "vault.azure.net", "127.0.0.1", "localhost", "myhost"]


def _constraints(path: Path) -> x509.Extension[x509.NameConstraints]:
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    return cert.extensions.get_extension_for_class(x509.NameConstraints)


def test_constrained_ca_permits_only_the_names_it_was_made_for(tmp_path: Path) -> None:
    ca = ensure_certificate_authority(tmp_path / "ca", permitted=PERMITTED)
    extension = _constraints(ca.cert_path)
    assert extension.critical
    permitted = {str(name.value) for name in extension.value.permitted_subtrees or ()}
    assert {"blob.core.windows.net", "vault.azure.net", "localhost", "myhost"} <= permitted
    assert {"127.0.0.1/32", "127.0.0.0/8", "::1/128"} <= permitted
    server = ensure_server_certificate(ca, tmp_path / "server", ["127.0.0.1", "localhost"])
    assert _handshake(ca.cert_path, server.cert_path, server.key_path, "localhost")
    # a leaf the CA issues for a permitted name verifies; the CA cannot vouch for other names
    leaves = LeafCertificates(ca, tmp_path / "leaves")
    key = tmp_path / "leaves" / "leaf-key.pem"
    leaves.context_for("acct.blob.core.windows.net")
    assert _handshake(ca.cert_path, _leaf(tmp_path, "acct.blob.core.windows.net"), key,
                      "acct.blob.core.windows.net")  # fmt: skip
    leaves.context_for("www.example.com")  # signed, but no client trusting the CA accepts it
    with pytest.raises(ssl.SSLCertVerificationError, match="subtree"):
        _handshake(ca.cert_path, _leaf(tmp_path, "www.example.com"), key, "www.example.com")


def _leaf(tmp_path: Path, host: str) -> Path:
    return tmp_path / "leaves" / (hashlib.sha256(host.encode()).hexdigest()[:32] + ".pem")


def test_a_ca_without_the_constraints_is_replaced(tmp_path: Path) -> None:
    """An installation made before the proxy has an unconstrained CA: it must not stay."""
    old = ensure_certificate_authority(tmp_path / "ca")
    with pytest.raises(x509.ExtensionNotFound):
        _constraints(old.cert_path)
    old_server = ensure_server_certificate(old, tmp_path / "server", ["localhost"])
    new = ensure_certificate_authority(tmp_path / "ca", permitted=PERMITTED)
    assert new.private_key.public_key() != old.private_key.public_key()
    assert _constraints(new.cert_path).critical
    # the old key is overwritten on disk; what it signed is issued again by the new CA
    old_key_pem = old.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert new.key_path.read_bytes() != old_key_pem
    before = old_server.cert_path.read_bytes()
    renewed = ensure_server_certificate(new, tmp_path / "server", ["localhost"])
    assert renewed.cert_path.read_bytes() != before
    assert _handshake(new.cert_path, renewed.cert_path, renewed.key_path, "localhost")
    # the same constraints again: kept; other names: replaced again
    current = new.cert_path.read_bytes()
    kept = ensure_certificate_authority(tmp_path / "ca", permitted=PERMITTED)
    assert kept.cert_path.read_bytes() == current
    moved = ensure_certificate_authority(tmp_path / "ca", permitted=[*PERMITTED, "10.1.2.3"])
    assert moved.cert_path.read_bytes() != current


def test_leaf_contexts_are_issued_once_per_name(tmp_path: Path) -> None:
    ca = ensure_certificate_authority(tmp_path / "ca", permitted=PERMITTED)
    leaves = LeafCertificates(ca, tmp_path / "leaves")
    first = leaves.context_for("acct.blob.core.windows.net")
    assert leaves.context_for("ACCT.blob.core.windows.net.") is first
    assert leaves.context_for("kv.vault.azure.net") is not first
    assert stat.S_IMODE((tmp_path / "leaves" / "leaf-key.pem").stat().st_mode) == 0o600
    # a restarted server keeps the leaf key
    again = LeafCertificates(ca, tmp_path / "leaves")
    assert again.context_for("acct.blob.core.windows.net") is not first
