"""Access tokens: signed JWTs shaped like Entra ID's v1.0 tokens, minted and checked by basin.

The issuer defaults to ``https://sts.windows.net/{tenant}/`` because basin's tokens carry the same
claims as Entra ID's (``aud`` = resource URI, ``oid``, ``appid``, ``tid``, ``xms_mirid``, ``ver``
"1.0"), so code that reads tokens sees what it expects. Trust does not rest on the name: a token
verifies only with a key from basin's own key ring.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import jwt
from jwt.types import Options

from basin.errors import AuthenticationError, ValidationError
from basin.identity.audiences import audience_key, is_endpoint_audience, resource_from_scope
from basin.identity.keyring import SUPPORTED_ALGORITHMS, KeyRing
from basin.identity.principals import Principal

__all__ = ["IssuedToken", "TokenClaims", "TokenIssuer", "azure_style_issuer"]

MAX_TOKEN_LENGTH = 16 * 1024
_REQUIRED_NUMERIC = ("iat", "nbf", "exp")


def azure_style_issuer(tenant_id: str) -> str:
    """The issuer Entra ID writes into v1.0 access tokens for ``tenant_id``."""
    return f"https://sts.windows.net/{tenant_id}/"


class IssuedToken(NamedTuple):
    """A freshly minted token and when it expires (epoch seconds)."""

    token: str
    expires_on: int

    def __repr__(self) -> str:  # never show the token itself
        return f"IssuedToken(token='***', expires_on={self.expires_on})"


@dataclass(frozen=True)
class TokenClaims:
    """What a verified token says."""

    object_id: str
    subject: str
    tenant_id: str | None
    client_id: str | None
    audience: str
    issuer: str
    issued_at: int
    not_before: int
    expires_on: int
    mi_resource_id: str | None
    claims: Mapping[str, Any]


class TokenIssuer:
    """Mints and verifies basin's access tokens with the keys of one :class:`KeyRing`."""

    def __init__(
        self,
        keyring: KeyRing,
        *,
        tenant_id: str,
        issuer: str | None = None,
        clock: Callable[[], float] = time.time,
        leeway_s: float = 0.0,
        max_lifetime_s: int = 24 * 3600,
    ) -> None:
        self._keyring = keyring
        self._tenant_id = tenant_id
        self._issuer = issuer or azure_style_issuer(tenant_id)
        self._clock = clock
        self._leeway = leeway_s  # issuer and verifier share one clock; raise it if they do not
        self._max_lifetime = max_lifetime_s

    @property
    def issuer(self) -> str:
        return self._issuer

    @property
    def tenant_id(self) -> str:
        return self._tenant_id

    @property
    def max_lifetime_s(self) -> int:
        """The longest lifetime a token may be issued with."""
        return self._max_lifetime

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The JWKS document to publish: every key that still verifies."""
        return self._keyring.jwks()

    def issue(self, principal: Principal, audience: str, *, lifetime: int = 3600) -> IssuedToken:
        """A token for ``principal`` to present to ``audience`` (a resource URI or a scope such
        as ``https://storage.azure.com/.default``), valid for ``lifetime`` seconds.

        Never for an online endpoint's scoring URI: those come from ``issue_for_endpoint``,
        which only the endpoint's get-credentials call (rights on the endpoint) reaches.
        """
        resource = resource_from_scope(audience)
        if is_endpoint_audience(resource):
            raise ValidationError(
                "Tokens for an online endpoint come from its get-credentials call "
                "(basin online-endpoint get-credentials), which needs rights on the endpoint."
            )
        return self._mint(principal, resource, lifetime)

    def issue_for_endpoint(
        self, principal: Principal, scoring_uri: str, *, lifetime: int = 3600
    ) -> IssuedToken:
        """A token for an ``aml_token`` endpoint: its audience is the endpoint's scoring URI."""
        resource = resource_from_scope(scoring_uri)
        if not is_endpoint_audience(resource):
            raise ValidationError(f"'{_shown(scoring_uri)}' is not an endpoint's scoring URI.")
        return self._mint(principal, resource, lifetime)

    def _mint(self, principal: Principal, resource: str, lifetime: int) -> IssuedToken:
        if not 0 < lifetime <= self._max_lifetime:
            raise ValidationError(
                f"A token lifetime must be between 1 and {self._max_lifetime} seconds."
            )
        if not principal.object_id:
            raise ValidationError("A token needs the principal's object id.")
        now = int(self._clock())
        expires_on = now + int(lifetime)
        claims: dict[str, Any] = {
            "aud": resource,
            "iss": self._issuer,
            "iat": now,
            "nbf": now,
            "exp": expires_on,
            "idtyp": "user" if principal.kind == "user" else "app",
            "oid": principal.object_id,
            "sub": principal.object_id,
            "tid": self._tenant_id,
            "uti": secrets.token_urlsafe(16),
            "ver": "1.0",
        }
        if principal.client_id:
            claims["appid"] = principal.client_id
        if principal.display_name:
            claims["name"] = principal.display_name
        if principal.is_managed_identity:
            claims["appidacr"] = "2"  # managed identities authenticate with a certificate
            if principal.resource_id:
                claims["xms_mirid"] = principal.resource_id
        key = self._keyring.current
        token = jwt.encode(
            claims, key.private_key, algorithm=key.alg, headers={"kid": key.kid, "typ": "JWT"}
        )
        return IssuedToken(token, expires_on)

    def verify(self, token: str, audience: str | Iterable[str]) -> TokenClaims:
        """The claims of ``token`` if it is basin's, valid now and meant for ``audience``
        (one audience or several accepted ones); AuthenticationError otherwise.

        Refused: malformed tokens, ``alg`` other than RS256/ES256 (``none``, HS256 signed with a
        public key, ...), an unknown ``kid``, an algorithm that is not its key's, a bad
        signature, another issuer, another audience, expired or not yet valid tokens. The
        messages never contain the token.
        """
        accepted = [audience] if isinstance(audience, str) else list(audience)
        if not accepted:
            raise ValueError("verify() needs at least one accepted audience")
        header = _header(token)
        alg = header.get("alg")
        if alg not in SUPPORTED_ALGORITHMS:
            raise AuthenticationError(
                f"Signature validation failed. Algorithm '{_shown(alg)}' is not accepted; "
                f"tokens are signed with {' or '.join(SUPPORTED_ALGORITHMS)}."
            )
        kid = header.get("kid")
        key = self._keyring.find(kid) if isinstance(kid, str) else None
        if key is None:
            raise AuthenticationError(
                "Signature validation failed. Unable to match key: the token's kid is not one of "
                "the issuer's signing keys."
            )
        if key.alg != alg:
            raise AuthenticationError(
                "Signature validation failed. The token's algorithm does not match its key."
            )
        claims = _decode(token, key.public_key, alg)
        self._check_claims(claims, accepted)
        return TokenClaims(
            object_id=claims["oid"],
            subject=claims["sub"],
            tenant_id=_optional_str(claims.get("tid")),
            client_id=_optional_str(claims.get("appid")),
            audience=claims["aud"],
            issuer=claims["iss"],
            issued_at=claims["iat"],
            not_before=claims["nbf"],
            expires_on=claims["exp"],
            mi_resource_id=_optional_str(claims.get("xms_mirid")),
            claims=claims,
        )

    def _check_claims(self, claims: dict[str, Any], accepted: list[str]) -> None:
        for name in _REQUIRED_NUMERIC:
            value = claims.get(name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise AuthenticationError(f"Token is malformed: claim '{name}' is missing.")
        for name in ("iss", "aud", "oid", "sub"):
            if not isinstance(claims.get(name), str) or not claims[name]:
                raise AuthenticationError(f"Token is malformed: claim '{name}' is missing.")
        if claims["iss"] != self._issuer:
            raise AuthenticationError("Issuer validation failed. Issuer did not match.")
        now = self._clock()
        if now >= claims["exp"] + self._leeway:
            raise AuthenticationError("Lifetime validation failed. The token is expired.")
        if now + self._leeway < claims["nbf"]:
            raise AuthenticationError("Lifetime validation failed. The token is not yet valid.")
        token_audience = _audience_key_or_none(claims["aud"])
        if token_audience is None or token_audience not in {audience_key(a) for a in accepted}:
            raise AuthenticationError(
                f"Audience validation failed. Audience '{_shown(claims['aud'])}' did not match "
                f"{' or '.join(repr(a) for a in accepted)}."
            )


def _header(token: object) -> dict[str, Any]:
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise AuthenticationError("Token is malformed.")
    if token.count(".") != 2:
        raise AuthenticationError("Token is malformed: a JWT has three parts.")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise AuthenticationError("Token is malformed: its header cannot be read.") from None
    return header


def _decode(token: str, public_key: Any, alg: str) -> dict[str, Any]:
    # Times, audience and issuer are checked by _check_claims against the injected clock and
    # basin's audience rules; PyJWT checks the signature with exactly one allowed algorithm.
    options: Options = {
        "verify_signature": True,
        "verify_exp": False,
        "verify_nbf": False,
        "verify_iat": False,
        "verify_aud": False,
        "verify_iss": False,
    }
    try:
        claims = jwt.decode(token, key=public_key, algorithms=[alg], options=options)
    except jwt.InvalidSignatureError:
        raise AuthenticationError("Signature validation failed. Signature is invalid.") from None
    except jwt.PyJWTError:
        raise AuthenticationError("Token is malformed: its payload cannot be read.") from None
    if not isinstance(claims, dict):
        raise AuthenticationError("Token is malformed.")
    return claims


def _audience_key_or_none(value: str) -> str | None:
    try:
        return audience_key(value)
    except ValidationError:
        return None


def _optional_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _shown(value: object, limit: int = 120) -> str:
    """A claim or header value safe to put in a message: printable and short."""
    text = "".join(c if c.isprintable() else "?" for c in str(value))
    return text if len(text) <= limit else text[:limit] + "..."
