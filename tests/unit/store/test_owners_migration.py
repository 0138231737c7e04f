"""Migration 0002 brings an installation made before owners over, and removes its orphans."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine

from basin.store import open_store

MIGRATIONS = Path(__file__).parents[3] / "src" / "basin" / "store" / "sql" / "migrations"
SUB = "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590"
WS = f"{SUB}/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws1"
EP = f"{WS}/onlineEndpoints/ep-1"
UAI = f"{SUB}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai1"
ACCOUNT = f"{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct1"
P_WS, P_EP, P_UAI = (
    "11111111-0000-0000-0000-000000000001",
    "11111111-0000-0000-0000-000000000002",
    "11111111-0000-0000-0000-000000000003",
)
P_ORPHAN, P_USER, P_GONE_USER = (
    "11111111-0000-0000-0000-000000000004",
    "11111111-0000-0000-0000-000000000005",
    "11111111-0000-0000-0000-000000000006",
)


def _at_revision_0001(path: Path) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.commit()
    engine.dispose()


def _resource(db: sqlite3.Connection, rid: str, type_: str, body: dict[str, object]) -> None:
    db.execute(
        "INSERT INTO resources (id_key, id, type, name, subscription_id, resource_group_key,"
        " resource_group, body, etag, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (rid.lower(), rid, type_, rid.rsplit("/", 1)[-1], SUB.split("/")[-1], "rg", "rg",
         json.dumps(body), "e", "2026-01-01 00:00:00", "2026-01-01 00:00:00"),
    )  # fmt: skip


def _assignment(db: sqlite3.Connection, principal: str, n: int) -> str:
    rid = f"{ACCOUNT}/providers/Microsoft.Authorization/roleAssignments/00000000-0000-0000-0000-00000000000{n}"
    _resource(db, rid, "Microsoft.Authorization/roleAssignments", {"principalId": principal})
    return rid


def test_owners_are_backfilled_and_orphans_removed(tmp_path: Path) -> None:
    path = tmp_path / "basin.db"
    _at_revision_0001(path)
    db = sqlite3.connect(path)
    _resource(
        db, WS, "Microsoft.MachineLearningServices/workspaces", {"identity": {"principal_id": P_WS}}
    )
    _resource(db, EP, "Microsoft.MachineLearningServices/workspaces/onlineEndpoints",
              {"identity": {"type": "system_assigned", "principal_id": P_EP}})  # fmt: skip
    _resource(db, UAI, "Microsoft.ManagedIdentity/userAssignedIdentities", {"principalId": P_UAI})
    _resource(db, ACCOUNT, "Microsoft.Storage/storageAccounts", {})
    kept = {p: _assignment(db, p, n) for n, p in enumerate((P_WS, P_EP, P_UAI, P_USER))}
    dropped = [_assignment(db, P_ORPHAN, 5), _assignment(db, P_GONE_USER, 6)]
    bindings = f"{SUB}/providers/Basin/msiBindings"
    _resource(db, f"{bindings}/live", "Basin/msiBindings", {"owner": f"{EP}/replicas/r1"})
    _resource(db, f"{bindings}/dead", "Basin/msiBindings", {"owner": f"{WS}/onlineEndpoints/gone/deployments/b/replicas/r1"})  # fmt: skip
    for object_id, kind in ((P_WS, "ManagedIdentity"), (P_EP, "ManagedIdentity"),
                            (P_UAI, "ManagedIdentity"), (P_ORPHAN, "ManagedIdentity"), (P_USER, "User")):  # fmt: skip
        db.execute(
            "INSERT INTO principals (object_id, kind, display_name, client_id, created_at)"
            " VALUES (?,?,?,?,?)",
            (object_id, kind, object_id, object_id, "2026-01-01 00:00:00"),
        )
    db.commit()
    db.close()

    store = open_store(f"sqlite:///{path}")  # migrates to the newest revision
    try:
        principals = {p.object_id: p.owner for p in store.list_principals()}
        assert principals == {P_WS: WS, P_EP: EP, P_UAI: UAI, P_USER: None}
        for rid in dropped:
            assert store.get(rid) is None
        owners = {p: store.get(rid).owner for p, rid in kept.items()}  # type: ignore[union-attr]
        assert owners == {P_WS: WS, P_EP: EP, P_UAI: UAI, P_USER: None}
        assert store.get(f"{bindings}/dead") is None
        assert store.get(f"{bindings}/live").owner == f"{EP}/replicas/r1"  # type: ignore[union-attr]
        assert {p.object_id for p in store.list_principals(owned_under=WS)} == {P_WS, P_EP}
    finally:
        store.close()
