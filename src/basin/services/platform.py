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
    from basin.services.cascade import Cascade

__all__ = ["Events", "Installation", "Platform"]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _standard_cascade() -> Cascade:
    # Imported here: the cascade knows the services, which all know the Platform.
    from basin.services.cascade import standard_cascade

    return standard_cascade()


@dataclass(frozen=True)
class Installation:
    """Created once per installation: the subscription and tenant every id lives in."""

    subscription_id: str
    tenant_id: str


class Events:
    """In-process notifications between services (e.g. endpoint changed -> routes follow)."""

    def __init__(self) -> None:
        self._listeners: dict[str, list[Callable[[str], None]]] = {}

    def subscribe(self, topic: str, listener: Callable[[str], None]) -> None:
        self._listeners.setdefault(topic, []).append(listener)

    def publish(self, topic: str, subject: str) -> None:
        for listener in list(self._listeners.get(topic, ())):
            listener(subject)


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
    #: Base URL of the scoring gateway, e.g. ``http://127.0.0.1:7462``.
    gateway_endpoint: str = ""
    #: URL of the forward proxy that answers Azure's host names, e.g. ``http://127.0.0.1:7463``.
    proxy_endpoint: str = ""
    #: The CA bundle clients and replicas trust (the system's CAs plus basin's).
    ca_bundle: Path | None = None
    events: Events = field(default_factory=Events)
    #: What deleting a resource also does outside the store, by resource type.
    cascade: Cascade = field(default_factory=_standard_cascade)

    @property
    def subscription_id(self) -> str:
        return self.installation.subscription_id
