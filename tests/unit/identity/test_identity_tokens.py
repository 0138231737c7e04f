"""Tokens: the claims basin mints, rotation, and every kind of token verify() must refuse."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from basin.errors import AuthenticationError, ValidationError
from basin.identity import KeyRing, Principal, TokenIssuer

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
STORAGE = "https://storage.azure.com/"
UAI_ID = (
    "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg/providers/"
    "Microsoft.ManagedIdentity/userAssignedIdentities/scorer"
)
IDENTITY = Principal(
    object_id="0f0f0f0f-1111-2222-3333-444444444444",
    client_id="c1c1c1c1-1111-2222-3333-444444444444",
    kind="managed_identity",
    resource_id=UAI_ID,
)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def segment(value: dict[str, Any]) -> str:
    return b64(json.dumps(value).encode())


def valid_claims(issuer: TokenIssuer, clock: Any, **changes: Any) -> dict[str, Any]:
    now = int(clock())
    claims = {
        "aud": STORAGE,
        "iss": issuer.issuer,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "oid": IDENTITY.object_id,
        "sub": IDENTITY.object_id,
        "tid": TENANT,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def refused(issuer: TokenIssuer, token: Any, audience: str = STORAGE) -> str:
    with pytest.raises(AuthenticationError) as caught:
        issuer.verify(token, audience)
    error = caught.value
    # the token never shows up in what a log or a client would see
    if isinstance(token, str) and token:
        for text in (str(error), repr(error), error.message):
            assert token not in text
            assert all(part not in text for part in token.split(".") if len(part) > 8)
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__  # no chained PyJWT error
    assert error.status == 401
    return error.message


# -- what basin mints -------------------------------------------------------------------------


def test_round_trip_carries_azure_claims(issuer: TokenIssuer, keyring: KeyRing, clock: Any) -> None:
    token, expires_on = issuer.issue(IDENTITY, "https://storage.azure.com/.default", lifetime=900)
    assert expires_on == int(clock()) + 900
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "ES256", "kid": keyring.current.kid, "typ": "JWT"}
    claims = issuer.verify(token, STORAGE)
    assert claims.object_id == claims.subject == IDENTITY.object_id
    assert claims.client_id == IDENTITY.client_id
    assert claims.tenant_id == TENANT
    assert claims.mi_resource_id == UAI_ID
    assert claims.issuer == f"https://sts.windows.net/{TENANT}/"
    assert claims.audience == "https://storage.azure.com"
    assert (claims.issued_at, claims.not_before, claims.expires_on) == (int(clock()),) * 2 + (
        expires_on,
    )
    assert claims.claims["ver"] == "1.0"
    assert claims.claims["idtyp"] == "app"
    assert claims.claims["appidacr"] == "2"
    assert claims.claims["xms_mirid"] == UAI_ID


@pytest.mark.parametrize(
    "accepted",
    [
        "https://storage.azure.com",
        "https://storage.azure.com/",
        "HTTPS://Storage.Azure.com/",
        "https://storage.azure.com/.default",
    ],
)
def test_slash_and_no_slash_audiences_are_the_same(issuer: TokenIssuer, accepted: str) -> None:
    token, _ = issuer.issue(IDENTITY, "https://storage.azure.com/")
    assert issuer.verify(token, accepted).audience == "https://storage.azure.com/"


def test_several_audiences_may_be_accepted(issuer: TokenIssuer) -> None:
    token, _ = issuer.issue(IDENTITY, "https://acct.blob.core.windows.net")
    assert issuer.verify(token, [STORAGE, "https://acct.blob.core.windows.net/"]).object_id


def test_user_tokens_have_no_managed_identity_claims(issuer: TokenIssuer) -> None:
    token, _ = issuer.issue(
        Principal("u1", kind="user", display_name="Ada"), "https://management.azure.com/"
    )
    claims = issuer.verify(token, "https://management.azure.com").claims
    assert claims["idtyp"] == "user" and claims["name"] == "Ada"
    assert "xms_mirid" not in claims and "appid" not in claims and "appidacr" not in claims


def test_rs256_round_trip(tmp_path: Path, clock: Any) -> None:
    rsa_issuer = TokenIssuer(KeyRing(tmp_path / "rsa", clock=clock), tenant_id=TENANT, clock=clock)
    token, _ = rsa_issuer.issue(IDENTITY, STORAGE)
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    assert rsa_issuer.verify(token, STORAGE).object_id == IDENTITY.object_id


def test_custom_issuer_name(keyring: KeyRing, clock: Any) -> None:
    basin = TokenIssuer(
        keyring, tenant_id=TENANT, issuer="https://basin.local/tenant/", clock=clock
    )
    token, _ = basin.issue(IDENTITY, STORAGE)
    assert basin.verify(token, STORAGE).issuer == "https://basin.local/tenant/"


@pytest.mark.parametrize("lifetime", [0, -5, 24 * 3600 + 1])
def test_lifetime_is_bounded(issuer: TokenIssuer, lifetime: int) -> None:
    with pytest.raises(ValidationError, match="lifetime"):
        issuer.issue(IDENTITY, STORAGE, lifetime=lifetime)


def test_issued_token_repr_hides_the_token(issuer: TokenIssuer) -> None:
    issued = issuer.issue(IDENTITY, STORAGE)
    assert issued.token not in repr(issued)


# -- rotation ---------------------------------------------------------------------------------


def test_rotation_keeps_old_tokens_valid_until_retired(
    issuer: TokenIssuer, keyring: KeyRing, clock: Any
) -> None:
    old_token, _ = issuer.issue(IDENTITY, STORAGE)
    old_kid = keyring.current.kid
    clock.advance(10)
    new_key = keyring.rotate()
    new_token, _ = issuer.issue(IDENTITY, STORAGE)
    assert jwt.get_unverified_header(new_token)["kid"] == new_key.kid != old_kid
    assert issuer.verify(old_token, STORAGE).object_id == IDENTITY.object_id
    assert issuer.verify(new_token, STORAGE).object_id == IDENTITY.object_id
    keyring.retire(old_kid)
    assert "Unable to match key" in refused(issuer, old_token)
    assert issuer.verify(new_token, STORAGE).object_id == IDENTITY.object_id


# -- refusals ---------------------------------------------------------------------------------


def test_expired_token(issuer: TokenIssuer, clock: Any) -> None:
    token, expires_on = issuer.issue(IDENTITY, STORAGE, lifetime=60)
    clock.now = expires_on - 1
    assert issuer.verify(token, STORAGE)
    clock.now = expires_on
    assert "expired" in refused(issuer, token)


def test_not_yet_valid_token(issuer: TokenIssuer, keyring: KeyRing, clock: Any) -> None:
    claims = valid_claims(issuer, clock, nbf=int(clock()) + 120)
    token = jwt.encode(
        claims, keyring.current.private_key, algorithm="ES256", headers={"kid": keyring.current.kid}
    )
    assert "not yet valid" in refused(issuer, token)
    clock.advance(120)
    assert issuer.verify(token, STORAGE)


def test_wrong_audience(issuer: TokenIssuer) -> None:
    token, _ = issuer.issue(IDENTITY, "https://management.azure.com/")
    message = refused(issuer, token, STORAGE)
    assert "Audience validation failed" in message and "management.azure.com" in message
    # a prefix is not the same audience
    token, _ = issuer.issue(IDENTITY, "https://storage.azure.com.evil.example/")
    refused(issuer, token, STORAGE)


def test_wrong_issuer(keyring: KeyRing, issuer: TokenIssuer, clock: Any) -> None:
    other = TokenIssuer(keyring, tenant_id="another-tenant", clock=clock)
    token, _ = other.issue(IDENTITY, STORAGE)
    assert "Issuer validation failed" in refused(issuer, token)


def test_alg_none(issuer: TokenIssuer, keyring: KeyRing, clock: Any) -> None:
    header = {"alg": "none", "typ": "JWT", "kid": keyring.current.kid}
    token = f"{segment(header)}.{segment(valid_claims(issuer, clock))}."
    assert "Algorithm 'none' is not accepted" in refused(issuer, token)


def test_hs256_signed_with_the_public_key(tmp_path: Path, clock: Any) -> None:
    # the classic algorithm-confusion forgery needs an RSA key whose public PEM is known
    ring = KeyRing(tmp_path / "rsa", alg="RS256", clock=clock)
    rsa_issuer = TokenIssuer(ring, tenant_id=TENANT, clock=clock)
    public_pem = ring.current.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = f"{segment({'alg': 'HS256', 'typ': 'JWT', 'kid': ring.current.kid})}.{segment(valid_claims(rsa_issuer, clock))}"
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{b64(signature)}"
    assert "Algorithm 'HS256' is not accepted" in refused(rsa_issuer, token)


def test_unknown_kid(issuer: TokenIssuer, clock: Any) -> None:
    stranger = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(
        valid_claims(issuer, clock), stranger, algorithm="ES256", headers={"kid": "someone-else"}
    )
    assert "Unable to match key" in refused(issuer, token)
    no_kid = jwt.encode(valid_claims(issuer, clock), stranger, algorithm="ES256")
    assert "Unable to match key" in refused(issuer, no_kid)


def test_forged_with_our_kid_but_another_key(
    issuer: TokenIssuer, keyring: KeyRing, clock: Any
) -> None:
    stranger = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(
        valid_claims(issuer, clock),
        stranger,
        algorithm="ES256",
        headers={"kid": keyring.current.kid},
    )
    assert "Signature is invalid" in refused(issuer, token)


def test_tampered_payload(issuer: TokenIssuer, clock: Any) -> None:
    token, _ = issuer.issue(IDENTITY, STORAGE)
    header, _, signature = token.split(".")
    forged = f"{header}.{segment(valid_claims(issuer, clock, oid='someone-powerful'))}.{signature}"
    assert "Signature is invalid" in refused(issuer, forged)


def test_algorithm_that_is_not_the_keys(issuer: TokenIssuer, keyring: KeyRing, clock: Any) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(
        valid_claims(issuer, clock),
        stranger,
        algorithm="RS256",
        headers={"kid": keyring.current.kid},
    )
    assert "does not match its key" in refused(issuer, token)


@pytest.mark.parametrize("missing", ["exp", "nbf", "iat", "aud", "iss", "oid", "sub"])
def test_required_claims(issuer: TokenIssuer, keyring: KeyRing, clock: Any, missing: str) -> None:
    claims = valid_claims(issuer, clock, **{missing: None})
    token = jwt.encode(
        claims, keyring.current.private_key, algorithm="ES256", headers={"kid": keyring.current.kid}
    )
    assert f"claim '{missing}' is missing" in refused(issuer, token)


def test_non_integer_times(issuer: TokenIssuer, keyring: KeyRing, clock: Any) -> None:
    claims = valid_claims(issuer, clock, exp=True)
    token = jwt.encode(
        claims, keyring.current.private_key, algorithm="ES256", headers={"kid": keyring.current.kid}
    )
    refused(issuer, token)


@pytest.mark.parametrize(
    "token",
    ["", "abc", "a.b", "a.b.c", "a.b.c.d", "eyJhbGciOiJFUzI1NiJ9.!!!.???", None, 42, "x" * 20000],
)
def test_malformed(issuer: TokenIssuer, token: Any) -> None:
    assert "malformed" in refused(issuer, token)
