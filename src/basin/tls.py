"""A local certificate authority and the server certificates it signs (HTTPS for basin services).

basin creates the CA once at installation; clients trust ``ca.pem`` (``connection_verify=`` or
``SSL_CERT_FILE``). Private keys are written with mode 0600 and never leave their folder.
Operators who have their own certificate pass its files instead (``load_server_certificate``).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from basin.errors import ValidationError

__all__ = [
    "CertificateAuthority",
    "ServerCertificate",
    "default_hosts",
    "ensure_certificate_authority",
    "ensure_server_certificate",
    "load_server_certificate",
]

CA_CERT_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"
SERVER_CERT_FILE = "server.pem"
SERVER_KEY_FILE = "server-key.pem"
_CA_DAYS = 3650
_SERVER_DAYS = 397  # the longest lifetime browsers and most TLS stacks accept for a leaf
_RENEW_BEFORE = dt.timedelta(days=30)


@dataclass(frozen=True)
class CertificateAuthority:
    cert_path: Path
    key_path: Path
    certificate: x509.Certificate
    private_key: ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class ServerCertificate:
    cert_path: Path
    """PEM: the leaf certificate followed by its issuer, if any."""
    key_path: Path


def default_hosts() -> list[str]:
    """The names a local server answers to: loopback addresses, localhost, this host's name."""
    hosts = ["127.0.0.1", "::1", "localhost"]
    name = socket.gethostname()
    if name and name not in hosts:
        hosts.append(name)
    return hosts


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _write_private(path: Path, payload: bytes) -> None:
    """Write atomically with mode 0600 from the first byte."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        os.write(fd, payload)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _write_public(path: Path, payload: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(payload)
    tmp.chmod(0o644)
    os.replace(tmp, path)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _load_key(path: Path) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValidationError(f"{path} does not hold an EC private key")
    return key


def _valid_for(cert: x509.Certificate, margin: dt.timedelta) -> bool:
    return cert.not_valid_before_utc <= _now() and cert.not_valid_after_utc - margin > _now()


def ensure_certificate_authority(
    directory: Path, common_name: str = "basin local CA"
) -> CertificateAuthority:
    """Load the CA in ``directory`` (``ca.pem``, ``ca-key.pem``), creating it if missing."""
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / CA_CERT_FILE, directory / CA_KEY_FILE
    if cert_path.exists() and key_path.exists():
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = _load_key(key_path)
        if _valid_for(cert, dt.timedelta(0)):
            return CertificateAuthority(cert_path, key_path, cert, key)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - dt.timedelta(minutes=5))
        .not_valid_after(_now() + dt.timedelta(days=_CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signs_certificates=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(key_path, _key_pem(key))
    _write_public(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return CertificateAuthority(cert_path, key_path, cert, key)


def _key_usage(signs_certificates: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=signs_certificates,
        crl_sign=signs_certificates,
        encipher_only=False,
        decipher_only=False,
    )


def _san(hosts: Sequence[str]) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(names)


def _covers(cert: x509.Certificate, ca: CertificateAuthority, hosts: Sequence[str]) -> bool:
    if cert.issuer != ca.certificate.subject or not _valid_for(cert, _RENEW_BEFORE):
        return False
    try:
        ca.private_key.public_key().verify(
            cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(hashes.SHA256())
        )
        present = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except Exception:
        return False
    return set(_san(hosts)) <= set(present)


def ensure_server_certificate(
    ca: CertificateAuthority, directory: Path, hosts: Sequence[str] | None = None
) -> ServerCertificate:
    """Reuse the server certificate in ``directory`` if ``ca`` signed it for ``hosts`` and it is
    not about to expire; otherwise issue a new one."""
    hosts = list(hosts) if hosts is not None else default_hosts()
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / SERVER_CERT_FILE, directory / SERVER_KEY_FILE
    if cert_path.exists() and key_path.exists():
        existing = x509.load_pem_x509_certificate(cert_path.read_bytes())
        if _covers(existing, ca, hosts):
            return ServerCertificate(cert_path, key_path)
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca.certificate.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - dt.timedelta(minutes=5))
        .not_valid_after(_now() + dt.timedelta(days=_SERVER_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signs_certificates=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(_san(hosts), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.private_key.public_key()),
            critical=False,
        )
        .sign(ca.private_key, hashes.SHA256())
    )
    _write_private(key_path, _key_pem(key))
    chain = cert.public_bytes(serialization.Encoding.PEM) + ca.certificate.public_bytes(
        serialization.Encoding.PEM
    )
    _write_public(cert_path, chain)
    return ServerCertificate(cert_path, key_path)


def load_server_certificate(cert_path: Path, key_path: Path) -> ServerCertificate:
    """Check operator-supplied PEM files (readable, key matches certificate) and wrap them."""
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise ValidationError(f"Cannot load the TLS certificate or key: {exc}") from None
    public_numbers = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key_public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if public_numbers != key_public:
        raise ValidationError(f"The key in {key_path} does not match the certificate {cert_path}")
    return ServerCertificate(cert_path, key_path)
