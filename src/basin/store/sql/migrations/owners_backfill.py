"""Data step of migration 0002, kept apart so that it reads (and is tested) on its own.

Plain SQL over the generic tables, with no ORM classes: the rows' shapes may change in later
revisions, this step must keep working on the shape revision 0002 knows.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

_WORKSPACES = "microsoft.machinelearningservices/workspaces"
_ENDPOINTS = "microsoft.machinelearningservices/workspaces/onlineendpoints"
_IDENTITIES = "microsoft.managedidentity/userassignedidentities"
_ASSIGNMENTS = "microsoft.authorization/roleassignments"
_BINDINGS = "basin/msibindings"


def _key(resource_id: str) -> str:
    return resource_id.rstrip("/").lower()


def _owned_principal(type_: str, body: dict[str, Any]) -> str | None:
    """The principal a resource of this type made for itself, if any."""
    if type_ == _IDENTITIES:
        return body.get("principalId") or None
    identity = body.get("identity") or {}
    if type_ == _WORKSPACES:
        return identity.get("principal_id") or None
    if type_ == _ENDPOINTS and identity.get("type") == "system_assigned":
        return identity.get("principal_id") or None
    return None


def backfill(connection: Any) -> None:
    """Give owned principals and role assignments their owner; remove what lost its owner."""
    resources = connection.execute(sa.text("SELECT id, id_key, type, body FROM resources")).all()
    live = {row.id_key for row in resources}
    owner_of: dict[str, str] = {}
    for row in resources:
        principal = _owned_principal(row.type.lower(), json.loads(row.body))
        if principal:
            owner_of[principal] = row.id
    principals = connection.execute(sa.text("SELECT object_id, kind FROM principals")).all()
    known = set()
    for principal in principals:
        owner = owner_of.get(principal.object_id)
        if owner is not None:
            _set_owner(connection, "principals", "object_id", principal.object_id, owner)
            known.add(principal.object_id)
        elif principal.kind == "ManagedIdentity":
            # Its workspace, endpoint or identity is gone: the principal is an orphan.
            connection.execute(
                sa.text("DELETE FROM principals WHERE object_id = :id"), {"id": principal.object_id}
            )
        else:
            known.add(principal.object_id)
    for row in resources:
        type_ = row.type.lower()
        body = json.loads(row.body)
        if type_ == _ASSIGNMENTS:
            principal_id = body.get("principalId")
            if principal_id not in known:
                _delete(connection, row.id_key)  # held by a principal that no longer exists
            elif principal_id in owner_of:
                _set_owner(connection, "resources", "id_key", row.id_key, owner_of[principal_id])
        elif type_ == _BINDINGS:
            owner = str(body.get("owner") or "")
            deployment = owner.split("/replicas/")[0]
            if not owner or _key(deployment) not in live:
                _delete(connection, row.id_key)
            else:
                _set_owner(connection, "resources", "id_key", row.id_key, owner)


def _set_owner(connection: Any, table: str, key_column: str, key: str, owner: str) -> None:
    connection.execute(
        sa.text(
            f"UPDATE {table} SET owner = :owner, owner_key = :owner_key WHERE {key_column} = :key"
        ),
        {"owner": owner, "owner_key": _key(owner), "key": key},
    )


def _delete(connection: Any, id_key: str) -> None:
    connection.execute(sa.text("DELETE FROM resources WHERE id_key = :key"), {"key": id_key})
