"""``Platform``: the back ends and facts every service function works with, made once at start."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from basin.blobs import BlobStore
from basin.identity import TokenIssuer
from basin.keyvault import SecretVault
from basin.store import MetadataStore

if TYPE_CHECKING:
    from basin.services.builds import BuildManager

__all__ = ["Installation", "Platform"]


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Installation:
    """Created once per installation: the subscription and tenant every id lives in."""

    subscription_id: str
    tenant_id: str


@dataclass
class Platform:
    store: MetadataStore
    vault: SecretVault
    installation: Installation
    location: str = "local"
    #: Base URL of the blob service, e.g. ``https://127.0.0.1:7461``.
    blob_endpoint: str = ""
    #: Base URL of the management API, e.g. ``http://127.0.0.1:7460``.
    api_endpoint: str = ""
    clock: Callable[[], datetime] = field(default=_utcnow)
    #: Signs and checks the JWTs of the token service (None only in tests that need none).
    tokens: TokenIssuer | None = None
    #: Where blobs live (every storage account's containers).
    blobs: BlobStore | None = None
    #: Builds environments in the background (None where nothing is built).
    builds: BuildManager | None = None
    #: The server's home: caches and runtime files live under it.
    state_dir: Path = field(default_factory=Path.cwd)

    @property
    def subscription_id(self) -> str:
        return self.installation.subscription_id
