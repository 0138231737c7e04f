"""The SQL metadata store, against SQLite and a real PostgreSQL server."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from basin.errors import ConflictError, PreconditionFailedError, ValidationError
from basin.store import MetadataStore, StoredResource, open_store

SUB = "/subscriptions/s1"


def _resource(rid: str, type_: str = "T/things", **body: object) -> StoredResource:
    parts = rid.split("/")
    return StoredResource(
        id=rid,
        type=type_,
        name=parts[-1],
        subscription_id="s1",
        resource_group="rg",
        body=dict(body),
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MetadataStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'basin.db'}"
    else:
        base = request.getfixturevalue("postgres_url")
        name = "t" + uuid.uuid4().hex[:12]
        admin = create_engine(
            base.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        admin.dispose()
        url = base.rsplit("/", 1)[0] + "/" + name
    opened = open_store(url)
    yield opened
    opened.close()


def test_insert_get_is_case_insensitive(store: MetadataStore) -> None:
    with store.transaction() as tx:
        tx.insert(_resource(f"{SUB}/resourceGroups/rg/things/One", x=1))
    got = store.get(f"{SUB.upper()}/RESOURCEGROUPS/rg/things/one")
    assert got is not None and got.body == {"x": 1} and got.name == "One"


def test_duplicate_insert_conflicts_and_changes_nothing(store: MetadataStore) -> None:
    with store.transaction() as tx:
        tx.insert(_resource(f"{SUB}/a", x=1))
    with pytest.raises(ConflictError), store.transaction() as tx:
        tx.insert(_resource(f"{SUB}/b", x=2))
        tx.insert(_resource(f"{SUB}/A", x=3))
    assert store.get(f"{SUB}/b") is None
    assert store.get(f"{SUB}/a").body == {"x": 1}  # type: ignore[union-attr]


def test_transaction_is_all_or_nothing_on_error(store: MetadataStore) -> None:
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.insert(_resource(f"{SUB}/x"))
        tx.set_setting("k", "v")
        raise RuntimeError("crash in the middle")
    assert store.get(f"{SUB}/x") is None
    assert store.get_setting("k") is None


def test_update_with_stale_etag_is_refused(store: MetadataStore) -> None:
    with store.transaction() as tx:
        first = tx.insert(_resource(f"{SUB}/x", v=1))
    with store.transaction() as tx:
        current = tx.get(f"{SUB}/x")
        assert current is not None
        current.body = {"v": 2}
        tx.update(current, if_match=first.etag)
    with pytest.raises(PreconditionFailedError), store.transaction() as tx:
        current = tx.get(f"{SUB}/x")
        assert current is not None
        tx.update(current, if_match=first.etag)
    assert store.get(f"{SUB}/x").body == {"v": 2}  # type: ignore[union-attr]


def test_list_filters_and_soft_delete(store: MetadataStore) -> None:
    from datetime import UTC, datetime

    with store.transaction() as tx:
        tx.insert(_resource(f"{SUB}/p/one", "T/a"))
        tx.insert(_resource(f"{SUB}/p/one/child", "T/b"))
        tx.insert(_resource(f"{SUB}/p/one_x", "T/a"))  # '_' must not act as a LIKE wildcard
        gone = _resource(f"{SUB}/p/two", "T/a")
        gone.deleted_at = datetime.now(UTC)
        tx.insert(gone)
    assert [r.name for r in store.list(type="T/a")] == ["one", "one_x"]
    assert [r.name for r in store.list(only_deleted=True)] == ["two"]
    assert [r.name for r in store.list(under=f"{SUB}/p/one")] == ["child"]
    assert store.get(f"{SUB}/p/two") is None
    assert store.get(f"{SUB}/p/two", include_deleted=True) is not None


def test_delete_under_removes_children_and_secrets(store: MetadataStore) -> None:
    with store.transaction() as tx:
        tx.insert(_resource(f"{SUB}/g"))
        tx.insert(_resource(f"{SUB}/g/c1"))
        tx.insert(_resource(f"{SUB}/gg"))
        tx.put_secret(f"{SUB}/g/c1", "key", b"sealed")
    with store.transaction() as tx:
        assert tx.delete_under(f"{SUB}/g") == 2
        assert tx.delete_secrets(f"{SUB}/g") == 1
    assert store.get(f"{SUB}/gg") is not None
    assert store.get_secret(f"{SUB}/g/c1", "key") is None


def test_concurrent_writers_all_commit(store: MetadataStore) -> None:
    errors: list[BaseException] = []

    def write(i: int) -> None:
        try:
            with store.transaction() as tx:
                for j in range(3):
                    tx.insert(_resource(f"{SUB}/w{i}/r{j}"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(store.list(type="T/things")) == 36


def test_unknown_url_scheme_is_refused() -> None:
    with pytest.raises(ValidationError, match="Unsupported database URL"):
        open_store("mysql://x/y")
