"""Signing keys for basin's tokens: kept in a directory, rotated, retired, published as JWKS.

Layout of the directory (mode 0700)::

    keys.json      manifest: [{"kid", "alg", "created_at"}, ...], oldest first
    <kid>.pem      one PKCS#8 private key per kid, mode 0600

The newest key signs; older keys still verify tokens until they are retired. A ``kid`` is the
RFC 7638 thumbprint of the public key, so it names the key and nothing else. Changes take a file
lock and re-read the manifest first, so two processes rotating at once do not lose a key.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import itertools
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from basin.errors import ConflictError, NotFoundError, ValidationError
from basin.files import replace_file

__all__ = ["SUPPORTED_ALGORITHMS", "KeyRing", "SigningKey"]

SUPPORTED_ALGORITHMS = ("RS256", "ES256")
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey

_MANIFEST = "keys.json"
_LOCK = ".lock"
_RSA_BITS = 2048  # what Entra ID signs with


@dataclass(frozen=True, eq=False)
class SigningKey:
    """One key of the ring. ``private_key`` never leaves the process except to sign."""

    kid: str
    alg: str
    created_at: float
    private_key: PrivateKey

    @property
    def public_key(self) -> PublicKey:
        return self.private_key.public_key()

    def public_jwk(self) -> dict[str, str]:
        """The public half as a JWK, as it appears in the JWKS document."""
        return {**_public_members(self.public_key), "use": "sig", "alg": self.alg, "kid": self.kid}

    def __eq__(self, other: object) -> bool:  # a kid names exactly one key (its thumbprint)
        return isinstance(other, SigningKey) and (self.kid, self.alg) == (other.kid, other.alg)

    def __hash__(self) -> int:
        return hash((self.kid, self.alg))

    def __repr__(self) -> str:  # keep the private key out of logs and tracebacks
        return f"SigningKey(kid={self.kid!r}, alg={self.alg!r}, created_at={self.created_at!r})"


class KeyRing:
    """The signing keys kept in one directory; creates the first key when the directory is empty."""

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        alg: str = "RS256",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._dir = Path(directory)
        self._alg = _check_alg(alg)
        self._clock = clock
        self._keys: tuple[SigningKey, ...] = ()
        self._missed_at = -float("inf")
        self._dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        with contextlib.suppress(PermissionError):  # a directory made earlier with a looser mode
            self._dir.chmod(0o700)
        with self._locked():
            self._keys = self._load()
            if not self._keys:
                self._keys = (self._create(self._alg),)
                self._save()

    @property
    def directory(self) -> Path:
        return self._dir

    @property
    def current(self) -> SigningKey:
        """The key that signs new tokens (the newest)."""
        return self._keys[-1]

    def trusted_keys(self) -> tuple[SigningKey, ...]:
        """Every key that still verifies, oldest first."""
        return self._keys

    def get(self, kid: str) -> SigningKey | None:
        for key in self._keys:
            if key.kid == kid:
                return key
        return None

    def reload(self) -> None:
        """Re-read the directory (another process may have rotated or retired keys)."""
        with self._locked():
            self._refresh()

    def find(self, kid: str, *, reload_after_s: float = 1.0) -> SigningKey | None:
        """``get(kid)``, re-reading the directory when the kid is unknown (another process
        rotated), at most once per ``reload_after_s`` so made-up kids cannot keep it busy."""
        key = self.get(kid)
        now = time.monotonic()
        if key is None and now - self._missed_at >= reload_after_s:
            self._missed_at = now
            self.reload()
            key = self.get(kid)
        return key

    def _refresh(self) -> None:
        # Call with the lock held. An emptied directory is an error, never an empty ring.
        keys = self._load()
        if not keys:
            raise NotFoundError(f"The key ring in {self._dir} holds no keys.")
        self._keys = keys

    def rotate(self, alg: str | None = None) -> SigningKey:
        """Create a new key that signs from now on; older keys keep verifying."""
        with self._locked():
            self._refresh()
            return self._add(_check_alg(alg or self._alg))

    def rotate_if_older(self, max_age_s: float) -> SigningKey | None:
        """Rotate when the signing key is ``max_age_s`` old or older; return the new key."""
        with self._locked():
            self._refresh()
            if self._keys[-1].created_at + max_age_s > self._clock():
                return None
            return self._add(self._keys[-1].alg)

    def _add(self, alg: str) -> SigningKey:
        # Call with the lock held, after _refresh.
        key = self._create(alg)
        self._keys = (*self._keys, key)
        self._save()
        return key

    def retire(self, kid: str) -> None:
        """Stop trusting ``kid``: tokens it signed no longer verify. The signing key cannot go."""
        with self._locked():
            self._refresh()
            key = self.get(kid)
            if key is None:
                raise NotFoundError(f"There is no signing key with kid '{kid}'.")
            if key.kid == self._keys[-1].kid:
                raise ConflictError(
                    f"Key '{kid}' signs new tokens and cannot be retired; rotate first."
                )
            self._keys = tuple(k for k in self._keys if k.kid != kid)
            self._save()
            (self._dir / f"{kid}.pem").unlink(missing_ok=True)

    def retire_superseded(self, grace_s: float) -> tuple[str, ...]:
        """Retire every key replaced by a newer one more than ``grace_s`` seconds ago.

        Pass at least the longest token lifetime, so no token signed just before a rotation
        stops verifying early. Returns the retired kids.
        """
        now = self._clock()
        with self._locked():
            self._refresh()
            keys = self._keys
            retired = tuple(
                old.kid for old, new in itertools.pairwise(keys) if new.created_at + grace_s <= now
            )
            if retired:
                self._keys = tuple(k for k in keys if k.kid not in retired)
                self._save()
                for kid in retired:
                    (self._dir / f"{kid}.pem").unlink(missing_ok=True)
        return retired

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The JWKS document (``{"keys": [...]}``) publishing every public key, newest first."""
        return {"keys": [k.public_jwk() for k in reversed(self._keys)]}

    # -- storage ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        fd = os.open(self._dir / _LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock

    def _load(self) -> tuple[SigningKey, ...]:
        path = self._dir / _MANIFEST
        if not path.exists():
            return ()
        try:
            entries = json.loads(path.read_text())["keys"]
            keys = tuple(self._load_key(e) for e in entries)
        except (
            OSError,
            ValueError,
            KeyError,
            TypeError,
            UnsupportedAlgorithm,
            ValidationError,
        ) as exc:
            raise ValidationError(
                f"The key ring in {self._dir} is damaged: {type(exc).__name__}."
            ) from None
        return keys

    def _load_key(self, entry: dict[str, Any]) -> SigningKey:
        kid, alg, created_at = (
            str(entry["kid"]),
            _check_alg(entry["alg"]),
            float(entry["created_at"]),
        )
        pem = (self._dir / f"{_safe_kid(kid)}.pem").read_bytes()
        private_key = serialization.load_pem_private_key(pem, password=None)
        expected = rsa.RSAPrivateKey if alg == "RS256" else ec.EllipticCurvePrivateKey
        if not isinstance(private_key, expected):
            raise ValueError("key type does not match its algorithm")
        key = SigningKey(kid, alg, created_at, private_key)
        if _thumbprint(key.public_key) != kid:
            raise ValueError("kid does not match its key")
        return key

    def _create(self, alg: str) -> SigningKey:
        private_key: PrivateKey
        if alg == "RS256":
            private_key = rsa.generate_private_key(public_exponent=65537, key_size=_RSA_BITS)
        else:
            private_key = ec.generate_private_key(ec.SECP256R1())
        kid = _thumbprint(private_key.public_key())
        pem = private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # O_EXCL + mode 0600 at creation: the key is never readable by others, not even briefly.
        fd = os.open(self._dir / f"{kid}.pem", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
            f.flush()
            os.fsync(f.fileno())
        return SigningKey(kid, alg, self._clock(), private_key)

    def _save(self) -> None:
        manifest = {
            "keys": [{"kid": k.kid, "alg": k.alg, "created_at": k.created_at} for k in self._keys]
        }
        replace_file(self._dir / _MANIFEST, json.dumps(manifest, indent=2), durable=True)


def _check_alg(alg: object) -> str:
    if alg not in SUPPORTED_ALGORITHMS:
        raise ValidationError(
            f"Signing algorithm '{alg}' is not supported; use one of {', '.join(SUPPORTED_ALGORITHMS)}."
        )
    return str(alg)


def _safe_kid(kid: str) -> str:
    # kids are base64url thumbprints; anything else must not become a path
    if not kid or any(not (c.isalnum() or c in "-_") for c in kid):
        raise ValueError("bad kid")
    return kid


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _public_members(public_key: PublicKey) -> dict[str, str]:
    """The required JWK members of a public key (RFC 7518), in RFC 7638's order."""
    if isinstance(public_key, rsa.RSAPublicKey):
        numbers = public_key.public_numbers()
        return {"e": _b64url_uint(numbers.e), "kty": "RSA", "n": _b64url_uint(numbers.n)}
    point = public_key.public_numbers()
    size = (public_key.curve.key_size + 7) // 8

    def coordinate(v: int) -> str:
        return base64.urlsafe_b64encode(v.to_bytes(size, "big")).rstrip(b"=").decode("ascii")

    return {"crv": "P-256", "kty": "EC", "x": coordinate(point.x), "y": coordinate(point.y)}


def _thumbprint(public_key: PublicKey) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url)."""
    canonical = json.dumps(_public_members(public_key), separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
