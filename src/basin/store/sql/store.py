"""``SqlMetadataStore``: the metadata store on SQLAlchemy (SQLite in WAL mode, or PostgreSQL)."""

from __future__ import annotations

import builtins
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, delete, event, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from basin.errors import ConflictError, NotFoundError, PreconditionFailedError, ValidationError
from basin.ids import id_key
from basin.store.base import (
    MetadataStore,
    Principal,
    Reader,
    StoredResource,
    StoredSecret,
    Transaction,
)
from basin.store.sql.rows import PrincipalRow, ResourceRow, SecretRow, SettingRow

__all__ = ["SqlMetadataStore"]

_MIGRATIONS = Path(__file__).parent / "migrations"


def _now() -> datetime:
    return datetime.now(UTC)


def _normalise_url(url: str) -> str:
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith(("sqlite://", "postgresql+psycopg://")):
        return url
    raise ValidationError(
        f"Unsupported database URL scheme in '{url.split('://', 1)[0]}://…': "
        "use sqlite:///path/to/basin.db or postgresql://user@host/db."
    )


def _sqlite_engine(url: str) -> Engine:
    path = url.removeprefix("sqlite:///")
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 60})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take over transaction control from pysqlite so that writers can BEGIN IMMEDIATE:
        # a deferred BEGIN that later upgrades to a write lock fails under concurrency.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get("basin_write"):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")

    return engine


def _under(column: Any, resource_id: str) -> Any:
    """``column`` (an id key) is ``resource_id`` or an id under it."""
    key = id_key(resource_id)
    return or_(column == key, column.startswith(key + "/", autoescape=True))


class _SqlReader(Reader):
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, resource_id: str, *, include_deleted: bool = False) -> StoredResource | None:
        row = self._session.get(ResourceRow, id_key(resource_id))
        if row is None or (row.deleted_at is not None and not include_deleted):
            return None
        return row.to_record()

    def list(
        self,
        *,
        type: str | None = None,
        subscription_id: str | None = None,
        resource_group: str | None = None,
        under: str | None = None,
        include_deleted: bool = False,
        only_deleted: bool = False,
        name: str | None = None,
        owned_under: str | None = None,
    ) -> list[StoredResource]:
        query = select(ResourceRow)
        if owned_under is not None:
            query = query.where(_under(ResourceRow.owner_key, owned_under))
        if name is not None:
            query = query.where(ResourceRow.name == name)
        if type is not None:
            query = query.where(ResourceRow.type == type)
        if subscription_id is not None:
            query = query.where(ResourceRow.subscription_id == subscription_id)
        if resource_group is not None:
            query = query.where(ResourceRow.resource_group_key == resource_group.lower())
        if under is not None:
            query = query.where(ResourceRow.id_key.startswith(id_key(under) + "/", autoescape=True))
        if only_deleted:
            query = query.where(ResourceRow.deleted_at.is_not(None))
        elif not include_deleted:
            query = query.where(ResourceRow.deleted_at.is_(None))
        rows = self._session.scalars(query.order_by(ResourceRow.created_at, ResourceRow.id_key))
        return [row.to_record() for row in rows]

    def get_setting(self, key: str) -> str | None:
        row = self._session.get(SettingRow, key)
        return None if row is None else row.value

    def get_secret(self, scope: str, name: str) -> StoredSecret | None:
        row = self._session.get(SecretRow, (id_key(scope), name))
        return None if row is None else row.to_record()

    def principal_by_token_hash(self, token_hash: str) -> Principal | None:
        row = self._session.scalars(
            select(PrincipalRow).where(PrincipalRow.token_hash == token_hash)
        ).first()
        return None if row is None else row.to_record()

    def get_principal(self, object_id: str) -> Principal | None:
        row = self._session.get(PrincipalRow, object_id)
        return None if row is None else row.to_record()

    def list_principals(self, *, owned_under: str | None = None) -> builtins.list[Principal]:
        query = select(PrincipalRow)
        if owned_under is not None:
            query = query.where(_under(PrincipalRow.owner_key, owned_under))
        rows = self._session.scalars(query.order_by(PrincipalRow.created_at))
        return [row.to_record() for row in rows]


class _SqlTransaction(_SqlReader, Transaction):
    def insert(self, resource: StoredResource) -> StoredResource:
        key = id_key(resource.id)
        existing = self._session.get(ResourceRow, key)
        if existing is not None:
            state = " (it is soft-deleted)" if existing.deleted_at is not None else ""
            raise ConflictError(f"A resource with id '{existing.id}' already exists{state}.")
        now = _now()
        row = ResourceRow(
            id_key=key,
            id=resource.id,
            type=resource.type,
            name=resource.name,
            subscription_id=resource.subscription_id,
            resource_group_key=resource.resource_group.lower() if resource.resource_group else None,
            resource_group=resource.resource_group,
            body=json.dumps(resource.body),
            etag=uuid.uuid4().hex,
            created_at=now,
            updated_at=now,
            deleted_at=resource.deleted_at,
            owner_key=id_key(resource.owner) if resource.owner else None,
            owner=resource.owner,
        )
        self._session.add(row)
        self._session.flush()
        return row.to_record()

    def update(self, resource: StoredResource, *, if_match: str | None = None) -> StoredResource:
        row = self._session.get(ResourceRow, id_key(resource.id))
        if row is None:
            raise NotFoundError(f"Resource '{resource.id}' was not found.")
        if if_match is not None and if_match != row.etag:
            raise PreconditionFailedError(
                f"Resource '{resource.id}' was changed by someone else; read it again and retry."
            )
        row.body = json.dumps(resource.body)
        row.deleted_at = resource.deleted_at
        row.updated_at = _now()
        row.etag = uuid.uuid4().hex
        self._session.flush()
        return row.to_record()

    def delete(self, resource_id: str) -> bool:
        result = self._session.execute(
            delete(ResourceRow).where(ResourceRow.id_key == id_key(resource_id))
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def delete_under(self, resource_id: str) -> int:
        result = self._session.execute(
            delete(ResourceRow).where(_under(ResourceRow.id_key, resource_id))
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def set_setting(self, key: str, value: str) -> None:
        self._session.merge(SettingRow(key=key, value=value))

    def put_secret(self, scope: str, name: str, ciphertext: bytes) -> None:
        self._session.merge(
            SecretRow(
                scope_key=id_key(scope),
                name=name,
                scope=scope,
                ciphertext=ciphertext,
                updated_at=_now(),
            )
        )

    def delete_secrets(self, scope: str) -> int:
        result = self._session.execute(delete(SecretRow).where(_under(SecretRow.scope_key, scope)))
        return int(result.rowcount)  # type: ignore[attr-defined]

    def delete_principal(self, object_id: str) -> bool:
        result = self._session.execute(
            delete(PrincipalRow).where(PrincipalRow.object_id == object_id)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def put_principal(self, principal: Principal) -> None:
        self._session.merge(
            PrincipalRow(
                object_id=principal.object_id,
                kind=principal.kind,
                display_name=principal.display_name,
                client_id=principal.client_id,
                token_hash=principal.token_hash,
                created_at=principal.created_at or _now(),
                owner_key=id_key(principal.owner) if principal.owner else None,
                owner=principal.owner,
            )
        )


class SqlMetadataStore(MetadataStore):
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @classmethod
    def open(cls, url: str) -> SqlMetadataStore:
        url = _normalise_url(url)
        if url.startswith("sqlite"):
            engine = _sqlite_engine(url)
        else:
            engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
        store = cls(engine)
        store.migrate()
        return store

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        with self._engine.connect() as connection:
            connection = connection.execution_options(basin_write=True)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            connection.commit()

    @contextmanager
    def _reader(self) -> Iterator[_SqlReader]:
        with Session(self._engine) as session:
            yield _SqlReader(session)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        with self._engine.connect() as connection:
            connection = connection.execution_options(basin_write=True)
            with Session(bind=connection) as session:
                try:
                    yield _SqlTransaction(session)
                    session.commit()
                except IntegrityError as exc:
                    session.rollback()
                    raise ConflictError(
                        "The change conflicts with one made at the same time; retry it."
                    ) from exc
                except BaseException:
                    session.rollback()
                    raise
            connection.commit()

    def get(self, resource_id: str, *, include_deleted: bool = False) -> StoredResource | None:
        with self._reader() as reader:
            return reader.get(resource_id, include_deleted=include_deleted)

    def list(
        self,
        *,
        type: str | None = None,
        subscription_id: str | None = None,
        resource_group: str | None = None,
        under: str | None = None,
        include_deleted: bool = False,
        only_deleted: bool = False,
        name: str | None = None,
        owned_under: str | None = None,
    ) -> list[StoredResource]:
        with self._reader() as reader:
            return reader.list(
                type=type,
                subscription_id=subscription_id,
                resource_group=resource_group,
                under=under,
                include_deleted=include_deleted,
                only_deleted=only_deleted,
                name=name,
                owned_under=owned_under,
            )

    def get_setting(self, key: str) -> str | None:
        with self._reader() as reader:
            return reader.get_setting(key)

    def get_secret(self, scope: str, name: str) -> StoredSecret | None:
        with self._reader() as reader:
            return reader.get_secret(scope, name)

    def principal_by_token_hash(self, token_hash: str) -> Principal | None:
        with self._reader() as reader:
            return reader.principal_by_token_hash(token_hash)

    def get_principal(self, object_id: str) -> Principal | None:
        with self._reader() as reader:
            return reader.get_principal(object_id)

    def list_principals(self, *, owned_under: str | None = None) -> builtins.list[Principal]:
        with self._reader() as reader:
            return reader.list_principals(owned_under=owned_under)

    def close(self) -> None:
        self._engine.dispose()
