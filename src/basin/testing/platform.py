"""A whole ``Platform`` in-process on a temporary SQLite file: the fast service-level test tier.

Service functions, cascades, RBAC decisions and traffic rules run against it in milliseconds,
with the same store, vault, key ring and blob store the server uses (no processes, no sockets).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from uv import find_uv_bin

from basin.blobs.local import LocalBlobStore
from basin.envbuild import EnvironmentBuilder
from basin.identity import KeyRing, TokenIssuer
from basin.keyvault import SecretVault
from basin.services.builds import BuildManager
from basin.services.installation import ensure_admin, ensure_installation, grant_admin_owner
from basin.services.platform import Platform
from basin.store import Principal, open_store

__all__ = ["PlatformUnderTest", "platform_under_test"]


@dataclass
class PlatformUnderTest:
    platform: Platform
    #: The installation's admin (Owner of the subscription) and its API token.
    admin: Principal
    admin_token: str
    home: Path


@contextmanager
def platform_under_test(home: Path) -> Iterator[PlatformUnderTest]:
    """A fresh installation under ``home``, closed on exit."""
    home.mkdir(parents=True, exist_ok=True)
    store = open_store(f"sqlite:///{home / 'basin.db'}")
    # The builder builds only when asked (a test that registers an environment starts a build).
    builds = BuildManager(EnvironmentBuilder(home / "envs", Path(find_uv_bin())))
    try:
        installation = ensure_installation(store)
        token = ensure_admin(store, home / "credentials.json")
        assert token is not None
        platform = Platform(
            store,
            SecretVault(b"k" * 32),
            installation,
            blob_endpoint="https://127.0.0.1:7461",
            api_endpoint="http://127.0.0.1:7460",
            gateway_endpoint="http://127.0.0.1:7462",
            tokens=TokenIssuer(KeyRing(home / "keys"), tenant_id=installation.tenant_id),
            blobs=LocalBlobStore(home / "blobs"),
            builds=builds,
            state_dir=home,
        )
        grant_admin_owner(platform)
        admin = next(p for p in store.list_principals() if p.kind == "User")
        yield PlatformUnderTest(platform, admin, token, home)
    finally:
        builds.shutdown()
        store.close()
