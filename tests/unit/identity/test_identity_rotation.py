"""Scheduled rotation: the signing key is replaced at its age, replaced keys retire after the
grace period, and a process that only reads the ring (the gateway) trusts a new key at once."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from basin.errors import AuthenticationError
from basin.identity import KeyRing, Principal, TokenIssuer
from basin.identity.endpoint_tokens import verify_endpoint_token
from basin.identity.rotation import KeyRotation

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
AUDIENCE = "http://127.0.0.1:7462/endpoints/rotating/score"


def test_rotate_if_older_waits_for_the_age(keyring: KeyRing, clock: Any) -> None:
    first = keyring.current
    clock.advance(99)
    assert keyring.rotate_if_older(100) is None
    clock.advance(1)
    second = keyring.rotate_if_older(100)
    assert second is not None and keyring.current == second
    assert second.alg == first.alg
    assert [k.kid for k in keyring.trusted_keys()] == [first.kid, second.kid]
    assert keyring.rotate_if_older(100) is None  # the new key is young


def test_rotation_rotates_then_retires_after_the_grace(keyring: KeyRing, clock: Any) -> None:
    first = keyring.current
    rotation = KeyRotation(keyring, max_age_s=1000, grace_s=300)
    rotation.check()
    assert keyring.trusted_keys() == (first,)
    clock.advance(1000)
    rotation.check()
    second = keyring.current
    assert second != first and keyring.get(first.kid) is not None  # still verifies
    clock.advance(299)
    rotation.check()
    assert keyring.get(first.kid) is not None
    clock.advance(1)
    rotation.check()
    assert keyring.trusted_keys() == (second,)


def test_rotation_needs_a_positive_age(keyring: KeyRing) -> None:
    with pytest.raises(ValueError, match="max_age_s"):
        KeyRotation(keyring, max_age_s=0, grace_s=10)


def test_a_reading_process_trusts_a_key_rotated_elsewhere(key_dir: Path) -> None:
    # The gateway's own ring object, opened before the server rotated.
    gateway = TokenIssuer(KeyRing(key_dir, alg="ES256"), tenant_id=TENANT)
    server_ring = KeyRing(key_dir, alg="ES256")
    server_ring.rotate()
    server = TokenIssuer(server_ring, tenant_id=TENANT)
    token = server.issue_for_endpoint(Principal("caller-object-id"), AUDIENCE).token
    verify_endpoint_token(gateway, token, AUDIENCE)  # re-read the ring for the unknown kid
    with pytest.raises(AuthenticationError, match="kid"):
        gateway.verify(_forged_kid(token), AUDIENCE)


def _forged_kid(token: str) -> str:
    head, rest = token.split(".", 1)
    header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    header["kid"] = "no-such-kid"
    encoded = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()
    return f"{encoded}.{rest}"
