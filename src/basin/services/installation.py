"""The installation: created on first start (subscription, tenant, admin principal)."""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from pathlib import Path

from basin.files import replace_file
from basin.services.platform import Installation, Platform
from basin.store import MetadataStore, Principal

__all__ = [
    "ADMIN_OBJECT_ID_SETTING",
    "ensure_admin",
    "ensure_installation",
    "grant_admin_owner",
    "hash_token",
    "new_api_token",
    "write_credentials",
]

ADMIN_OBJECT_ID_SETTING = "admin_object_id"
TOKEN_PREFIX = "basin_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_api_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def ensure_installation(store: MetadataStore) -> Installation:
    """Read the installation, creating it (one subscription, one tenant) on first start."""
    subscription_id = store.get_setting("subscription_id")
    tenant_id = store.get_setting("tenant_id")
    if subscription_id and tenant_id:
        return Installation(subscription_id, tenant_id)
    with store.transaction() as tx:
        subscription_id = tx.get_setting("subscription_id") or str(uuid.uuid4())
        tenant_id = tx.get_setting("tenant_id") or str(uuid.uuid4())
        tx.set_setting("subscription_id", subscription_id)
        tx.set_setting("tenant_id", tenant_id)
    return Installation(subscription_id, tenant_id)


def ensure_admin(store: MetadataStore, credentials_file: Path) -> str | None:
    """Make sure an admin exists whose token is in ``credentials_file``.

    Returns a new token when one had to be made (first start, or the file was lost: the old token
    is then replaced, since only its hash is kept), else ``None``.
    """
    admin_id = store.get_setting(ADMIN_OBJECT_ID_SETTING)
    if admin_id and _file_token_is_admin(store, credentials_file, admin_id):
        return None
    token = new_api_token()
    with store.transaction() as tx:
        admin_id = tx.get_setting(ADMIN_OBJECT_ID_SETTING) or str(uuid.uuid4())
        existing = tx.get_principal(admin_id)
        tx.put_principal(
            Principal(
                object_id=admin_id,
                kind="User",
                display_name="admin",
                client_id=existing.client_id if existing else str(uuid.uuid4()),
                token_hash=hash_token(token),
                created_at=existing.created_at if existing else None,
            )
        )
        tx.set_setting(ADMIN_OBJECT_ID_SETTING, admin_id)
    return token


def grant_admin_owner(platform: Platform) -> None:
    """Make the admin Owner of the whole subscription (once; idempotent)."""
    from basin.services import role_assignments

    admin_id = platform.store.get_setting(ADMIN_OBJECT_ID_SETTING)
    if admin_id is None:
        return
    scope = f"/subscriptions/{platform.subscription_id}"
    existing = role_assignments.list_assignments(
        platform, assignee=admin_id, scope=scope, role="Owner"
    )
    if not existing:
        with platform.store.transaction() as tx:
            role_assignments.insert(platform, tx, admin_id, "Owner", scope, "User")


def _file_token_is_admin(store: MetadataStore, credentials_file: Path, admin_id: str) -> bool:
    try:
        token = json.loads(credentials_file.read_text()).get("token")
    except (OSError, ValueError):
        return False
    if not isinstance(token, str):
        return False
    principal = store.principal_by_token_hash(hash_token(token))
    return principal is not None and principal.object_id == admin_id


def write_credentials(path: Path, **fields: str) -> None:
    """Merge ``fields`` into the credentials file, which only its owner can read."""
    data: dict[str, str] = {}
    if path.exists():
        data = json.loads(path.read_text())
    data.update(fields)
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_file(path, json.dumps(data, indent=2), durable=True)
