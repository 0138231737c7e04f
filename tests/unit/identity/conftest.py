"""Fixtures for the identity library: a settable clock, key rings and a token issuer."""

from __future__ import annotations

from pathlib import Path

import pytest

from basin.identity import KeyRing, TokenIssuer

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


class FakeClock:
    """A clock the test moves by hand (no sleeping, no timing)."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def key_dir(tmp_path: Path) -> Path:
    return tmp_path / "keys"


@pytest.fixture
def keyring(key_dir: Path, clock: FakeClock) -> KeyRing:
    # ES256 keys are quick to make; test_identity_tokens covers RS256 on its own.
    return KeyRing(key_dir, alg="ES256", clock=clock)


@pytest.fixture
def issuer(keyring: KeyRing, clock: FakeClock) -> TokenIssuer:
    return TokenIssuer(keyring, tenant_id=TENANT, clock=clock)
