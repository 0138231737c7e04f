"""Workspace connections; their secrets are sealed in the vault and never returned."""

from __future__ import annotations

from basin.entities import WorkspaceConnection
from basin.entities.connection import ConnectionType
from basin.envbuild import feed_key, validate_feed_target
from basin.errors import ConflictError, NotFoundError, ValidationError
from basin.ids import validate_name
from basin.services import workspaces
from basin.services._resources import from_stored, to_stored
from basin.services.platform import Platform
from basin.store import Transaction

__all__ = ["create_or_update", "delete", "feed_credentials", "get", "list_connections"]

TYPE = WorkspaceConnection.resource_type
SECRET = "credential"


def _id(workspace_id: str, name: str) -> str:
    return f"{workspace_id}/connections/{name}"


def create_or_update(
    platform: Platform, group: str, workspace_name: str, connection: WorkspaceConnection
) -> WorkspaceConnection:
    validate_name("asset", connection.name)
    if not connection.target.strip():
        raise ValidationError("A connection needs a 'target' (for a Python feed: its index URL).")
    feed = connection.type is ConnectionType.PYTHON_FEED
    if feed:
        validate_feed_target(connection.target)
    workspace = workspaces.get(platform, group, workspace_name)
    assert workspace.id is not None
    rid = _id(workspace.id, connection.name)
    public = connection.without_secret().model_copy(update={"id": rid})
    secret = connection.secret()
    with platform.store.transaction() as tx:
        if feed:
            _refuse_second_feed(tx, workspace.id, rid, connection.target)
        existing = tx.get(rid)
        if existing is None:
            tx.insert(to_stored(public, rid, TYPE))
        else:
            existing.body = to_stored(public, rid, TYPE).body
            tx.update(existing)
        if secret is not None:
            platform.vault.put(tx, rid, SECRET, secret)
        elif existing is None or connection.credentials.type == "none":
            tx.delete_secrets(rid)
    return public


def _refuse_second_feed(tx: Transaction, workspace_id: str, rid: str, target: str) -> None:
    """One feed connection per feed URL: uv would pick one of two credentials, unpredictably."""
    key = feed_key(target)
    for row in tx.list(type=TYPE, under=workspace_id):
        other = from_stored(WorkspaceConnection, row)
        if (
            row.id.lower() != rid.lower()
            and other.type is ConnectionType.PYTHON_FEED
            and feed_key(other.target) == key
        ):
            raise ConflictError(
                f"Connection '{other.name}' already holds the credentials for the feed "
                f"{other.target}: update that connection instead, or delete it first "
                "(a build can use only one credential per feed URL)."
            )


def get(platform: Platform, group: str, workspace_name: str, name: str) -> WorkspaceConnection:
    workspace = workspaces.get(platform, group, workspace_name)
    assert workspace.id is not None
    stored = platform.store.get(_id(workspace.id, name))
    if stored is None:
        raise NotFoundError(f"Connection '{name}' was not found in workspace '{workspace_name}'.")
    return from_stored(WorkspaceConnection, stored)


def list_connections(
    platform: Platform, group: str, workspace_name: str, type_: str | None = None
) -> list[WorkspaceConnection]:
    workspace = workspaces.get(platform, group, workspace_name)
    assert workspace.id is not None
    found = [
        from_stored(WorkspaceConnection, r)
        for r in platform.store.list(type=TYPE, under=workspace.id)
    ]
    return [
        c for c in found if type_ is None or c.type.value == type_ or c.type.name.lower() == type_
    ]


def delete(platform: Platform, group: str, workspace_name: str, name: str) -> None:
    connection = get(platform, group, workspace_name, name)
    assert connection.id is not None
    with platform.store.transaction() as tx:
        tx.delete_secrets(connection.id)
        tx.delete(connection.id)


def feed_credentials(platform: Platform, workspace_id: str) -> list[tuple[str, str, str]]:
    """``(target, username, secret)`` of every Python-feed connection: for the builder only."""
    result = []
    for row in platform.store.list(type=TYPE, under=workspace_id):
        connection = from_stored(WorkspaceConnection, row)
        if connection.type.value != "python_feed":
            continue
        secret = platform.vault.get(platform.store, row.id, SECRET)
        if secret is None:
            continue
        username = getattr(connection.credentials, "username", None) or "basin"
        result.append((connection.target, username, secret))
    return result
