"""A local certificate authority and the server certificates it signs (HTTPS for basin services).

basin creates the CA once at installation; clients trust ``ca.pem`` (``connection_verify=`` or
``SSL_CERT_FILE``). Private keys are written with mode 0600 and never leave their folder.
Operators who have their own certificate pass its files instead (``load_server_certificate``).

The server's CA carries X.509 name constraints (``permitted``): it can vouch only for the names
basin serves (Azure's public domains answered by the forward proxy, ``localhost`` and the server's
own addresses), so trusting it does not let it impersonate anything else. A CA found without the
constraints it needs (an installation made before them) is replaced by a new one at start.
``LeafCertificates`` issues the proxy's certificates on the fly, one per requested name.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import logging
import socket
import ssl
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from basin.errors import ValidationError
from basin.files import replace_file

__all__ = [
    "CertificateAuthority",
    "LeafCertificates",
    "ServerCertificate",
    "default_hosts",
    "ensure_certificate_authority",
    "ensure_server_certificate",
    "load_server_certificate",
    "name_constraints",
]

logger = logging.getLogger("basin.tls")

CA_CERT_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"
SERVER_CERT_FILE = "server.pem"
SERVER_KEY_FILE = "server-key.pem"
_CA_DAYS = 3650
_SERVER_DAYS = 397  # the longest lifetime browsers and most TLS stacks accept for a leaf
_RENEW_BEFORE = dt.timedelta(days=30)
_LEAF_DAYS = 30
_LEAF_RENEW_BEFORE = dt.timedelta(days=1)
#: Loopback networks a constrained CA always permits (any 127.x address, ::1).
_LOOPBACK_NETWORKS = ("127.0.0.0/8", "::1/128")


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
    replace_file(path, payload, durable=True)


def _write_public(path: Path, payload: bytes) -> None:
    replace_file(path, payload, mode=0o644)


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


def name_constraints(names: Sequence[str]) -> x509.NameConstraints:
    """Permitted subtrees for ``names``: a DNS name permits itself and every name under it; an
    address (or network) permits itself; loopback networks are always permitted."""
    dns: set[str] = set()
    networks: set[ipaddress.IPv4Network | ipaddress.IPv6Network] = {
        ipaddress.ip_network(n) for n in _LOOPBACK_NETWORKS
    }
    for name in names:
        try:
            networks.add(ipaddress.ip_network(name, strict=False))
        except ValueError:
            dns.add(name.lower().rstrip("."))
    permitted: list[x509.GeneralName] = [x509.DNSName(d) for d in sorted(dns)]
    permitted += [x509.IPAddress(n) for n in sorted(networks, key=str)]
    return x509.NameConstraints(permitted_subtrees=permitted, excluded_subtrees=None)


def _constraints_of(cert: x509.Certificate) -> x509.NameConstraints | None:
    try:
        return cert.extensions.get_extension_for_class(x509.NameConstraints).value
    except x509.ExtensionNotFound:
        return None


def _same_constraints(a: x509.NameConstraints | None, b: x509.NameConstraints | None) -> bool:
    if a is None or b is None:
        return a is b
    return set(a.permitted_subtrees or ()) == set(b.permitted_subtrees or ()) and set(
        a.excluded_subtrees or ()
    ) == set(b.excluded_subtrees or ())


def ensure_certificate_authority(
    directory: Path, common_name: str = "basin local CA", permitted: Sequence[str] | None = None
) -> CertificateAuthority:
    """Load the CA in ``directory`` (``ca.pem``, ``ca-key.pem``), creating it if missing.

    With ``permitted`` the CA must carry exactly those name constraints (``name_constraints``);
    one without them, or with others, is replaced by a new CA (its key overwritten), and every
    certificate it signed stops verifying.
    """
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / CA_CERT_FILE, directory / CA_KEY_FILE
    wanted = name_constraints(permitted) if permitted is not None else None
    if cert_path.exists() and key_path.exists():
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = _load_key(key_path)
        if _valid_for(cert, dt.timedelta(0)):
            if wanted is None or _same_constraints(_constraints_of(cert), wanted):
                return CertificateAuthority(cert_path, key_path, cert, key)
            logger.warning(
                "Replacing the certificate authority in %s: it %s. Clients that trust the old "
                "ca.pem by a copy must trust the new one (the bundle in credentials.json "
                "follows by itself).",
                directory,
                "has no name constraints"
                if _constraints_of(cert) is None
                else "does not name exactly this server's names",
            )
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    public = key.public_key()
    builder = (
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
    )
    if wanted is not None:
        builder = builder.add_extension(wanted, critical=True)
    cert = builder.sign(key, hashes.SHA256())
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
    cert = _issue(ca, hosts, key, _SERVER_DAYS)
    _write_private(key_path, _key_pem(key))
    _write_public(cert_path, _chain_pem(cert, ca))
    return ServerCertificate(cert_path, key_path)


def _issue(
    ca: CertificateAuthority, hosts: Sequence[str], key: ec.EllipticCurvePrivateKey, days: int
) -> x509.Certificate:
    """A TLS server certificate for ``hosts`` (the first is its common name) signed by ``ca``."""
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca.certificate.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - dt.timedelta(minutes=5))
        .not_valid_after(_now() + dt.timedelta(days=days))
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


def _chain_pem(cert: x509.Certificate, ca: CertificateAuthority) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM) + ca.certificate.public_bytes(
        serialization.Encoding.PEM
    )


class LeafCertificates:
    """TLS contexts for the names the forward proxy answers, each with a certificate issued on
    first use by ``ca`` (kept in ``directory`` and in memory, renewed a day before it expires).

    One private key (``leaf-key.pem``, 0600) serves every leaf: the names all belong to this one
    server, and a fresh key per name would only cost time on the first request to each.
    """

    def __init__(self, ca: CertificateAuthority, directory: Path) -> None:
        self._ca = ca
        self._directory = directory
        self._lock = threading.Lock()
        self._contexts: dict[str, tuple[ssl.SSLContext, dt.datetime]] = {}
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._key_path = directory / "leaf-key.pem"
        if self._key_path.exists():
            self._key = _load_key(self._key_path)
        else:
            self._key = ec.generate_private_key(ec.SECP256R1())
            _write_private(self._key_path, _key_pem(self._key))

    def context_for(self, host: str) -> ssl.SSLContext:
        """A server-side TLS context presenting a certificate for ``host``."""
        host = host.lower().rstrip(".")
        with self._lock:
            cached = self._contexts.get(host)
            if cached is not None and cached[1] - _LEAF_RENEW_BEFORE > _now():
                return cached[0]
            cert = _issue(self._ca, [host], self._key, _LEAF_DAYS)
            name = hashlib.sha256(host.encode()).hexdigest()[:32] + ".pem"
            path = self._directory / name
            _write_public(path, _chain_pem(cert, self._ca))
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(path, self._key_path)
            context.set_alpn_protocols(["http/1.1"])
            self._contexts[host] = (context, cert.not_valid_after_utc)
            return context


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
