"""The key ring: keys on disk with tight permissions, rotation, retirement and the JWKS."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import jwt
import pytest

from basin.errors import ConflictError, NotFoundError, ValidationError
from basin.identity import KeyRing, Principal, TokenIssuer

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_first_open_creates_one_private_key(keyring: KeyRing, key_dir: Path) -> None:
    assert len(keyring.trusted_keys()) == 1
    pem = key_dir / f"{keyring.current.kid}.pem"
    assert pem.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert mode(key_dir) == 0o700
    assert mode(pem) == 0o600
    assert mode(key_dir / "keys.json") == 0o600


def test_existing_directory_is_tightened(tmp_path: Path) -> None:
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o755)
    loose.chmod(0o755)
    KeyRing(loose, alg="ES256")
    assert mode(loose) == 0o700


def test_concurrent_rotations_lose_no_key(keyring: KeyRing, key_dir: Path) -> None:
    other = KeyRing(key_dir, alg="ES256")  # a second process's view of the same directory
    mine = keyring.rotate()
    theirs = other.rotate()
    kids = {k.kid for k in KeyRing(key_dir, alg="ES256").trusted_keys()}
    assert {mine.kid, theirs.kid} <= kids and len(kids) == 3


def test_keys_persist_across_instances(keyring: KeyRing, key_dir: Path, clock: Any) -> None:
    again = KeyRing(key_dir, alg="ES256", clock=clock)
    assert [k.kid for k in again.trusted_keys()] == [k.kid for k in keyring.trusted_keys()]
    token, _ = TokenIssuer(keyring, tenant_id=TENANT, clock=clock).issue(Principal("o"), "api://x")
    assert (
        TokenIssuer(again, tenant_id=TENANT, clock=clock).verify(token, "api://x").object_id == "o"
    )


def test_rotate_adds_a_signing_key_and_keeps_the_old_one(keyring: KeyRing, clock: Any) -> None:
    old = keyring.current
    clock.advance(60)
    new = keyring.rotate()
    assert keyring.current == new and new.kid != old.kid
    assert [k.kid for k in keyring.trusted_keys()] == [old.kid, new.kid]
    assert [k["kid"] for k in keyring.jwks()["keys"]] == [new.kid, old.kid]


def test_jwks_publishes_public_keys_only(keyring: KeyRing) -> None:
    keyring.rotate(alg="RS256")
    documents = keyring.jwks()["keys"]
    assert {k["kty"] for k in documents} == {"EC", "RSA"}
    for key in documents:
        assert key["use"] == "sig" and key["kid"]
        assert not {"d", "p", "q", "dp", "dq", "qi"} & key.keys()
    ec_key = next(k for k in documents if k["kty"] == "EC")
    assert ec_key["crv"] == "P-256" and ec_key["alg"] == "ES256"


def test_jwks_verifies_tokens_with_a_standard_client(issuer: TokenIssuer, keyring: KeyRing) -> None:
    keyring.rotate(alg="RS256")
    token, _ = issuer.issue(Principal("o"), "https://storage.azure.com/")
    kid = jwt.get_unverified_header(token)["kid"]
    jwk = jwt.PyJWKSet.from_dict(issuer.jwks())[kid]
    # the test clock is not the wall clock, so PyJWT checks only signature and audience here
    times_off: Any = {"verify_exp": False, "verify_nbf": False, "verify_iat": False}
    claims = jwt.decode(
        token,
        jwk.key,
        algorithms=["RS256"],
        audience="https://storage.azure.com/",
        options=times_off,
    )
    assert claims["oid"] == "o"


def test_retire_removes_the_key_and_its_file(keyring: KeyRing, key_dir: Path) -> None:
    old = keyring.current
    keyring.rotate()
    keyring.retire(old.kid)
    assert keyring.get(old.kid) is None
    assert old.kid not in {k["kid"] for k in keyring.jwks()["keys"]}
    assert not (key_dir / f"{old.kid}.pem").exists()
    assert KeyRing(key_dir, alg="ES256").get(old.kid) is None


def test_the_signing_key_cannot_be_retired(keyring: KeyRing) -> None:
    with pytest.raises(ConflictError, match="rotate first"):
        keyring.retire(keyring.current.kid)
    with pytest.raises(NotFoundError):
        keyring.retire("no-such-kid")


def test_retire_superseded_waits_for_the_grace_period(keyring: KeyRing, clock: Any) -> None:
    first = keyring.current
    clock.advance(100)
    second = keyring.rotate()
    clock.advance(100)
    third = keyring.rotate()
    clock.advance(50)
    # second was replaced 50 s ago, first 150 s ago
    assert keyring.retire_superseded(grace_s=120) == (first.kid,)
    assert [k.kid for k in keyring.trusted_keys()] == [second.kid, third.kid]
    assert keyring.retire_superseded(grace_s=120) == ()
    clock.advance(100)
    assert keyring.retire_superseded(grace_s=120) == (second.kid,)
    assert keyring.current == third


def test_reload_sees_another_instances_rotation(keyring: KeyRing, key_dir: Path) -> None:
    other = KeyRing(key_dir, alg="ES256")
    new = other.rotate()
    assert keyring.get(new.kid) is None
    keyring.reload()
    assert keyring.current.kid == new.kid


def test_damaged_ring_is_refused_without_leaking_key_material(
    keyring: KeyRing, key_dir: Path
) -> None:
    manifest = json.loads((key_dir / "keys.json").read_text())
    manifest["keys"][0]["kid"] = "not-the-thumbprint"
    (key_dir / "not-the-thumbprint.pem").write_bytes(
        (key_dir / f"{keyring.current.kid}.pem").read_bytes()
    )
    (key_dir / "keys.json").write_text(json.dumps(manifest))
    with pytest.raises(ValidationError, match="damaged") as caught:
        KeyRing(key_dir, alg="ES256")
    assert "PRIVATE" not in str(caught.value)


def test_path_like_kids_are_refused(key_dir: Path, keyring: KeyRing) -> None:
    manifest = json.loads((key_dir / "keys.json").read_text())
    manifest["keys"][0]["kid"] = "../../etc/passwd"
    (key_dir / "keys.json").write_text(json.dumps(manifest))
    with pytest.raises(ValidationError, match="damaged"):
        KeyRing(key_dir, alg="ES256")


def test_unsupported_algorithm_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="RS256, ES256"):
        KeyRing(tmp_path / "k", alg="HS256")


def test_repr_never_shows_the_private_key(keyring: KeyRing) -> None:
    text = repr(keyring.current)
    assert keyring.current.kid in text and "PRIVATE" not in text and "private_key" not in text


def test_an_emptied_directory_is_an_error_not_an_empty_ring(
    keyring: KeyRing, key_dir: Path
) -> None:
    (key_dir / "keys.json").write_text(json.dumps({"keys": []}))
    with pytest.raises(NotFoundError, match="holds no keys"):
        keyring.reload()
    with pytest.raises(NotFoundError, match="holds no keys"):
        keyring.retire_superseded(grace_s=0)
    assert keyring.current.kid  # the ring still holds what it had
