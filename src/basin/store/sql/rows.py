"""SQLAlchemy rows; converted to store records at the edge (``to_record``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import DateTime, LargeBinary, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from basin.store.base import Principal, StoredResource, StoredSecret


def _utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything basin writes is UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={"ix": "ix_%(column_0_label)s", "pk": "pk_%(table_name)s"}
    )


class ResourceRow(Base):
    __tablename__ = "resources"

    id_key: Mapped[str] = mapped_column(String(1024), primary_key=True)
    id: Mapped[str] = mapped_column(String(1024))
    type: Mapped[str] = mapped_column(String(200), index=True)
    name: Mapped[str] = mapped_column(String(260))
    subscription_id: Mapped[str] = mapped_column(String(64))
    resource_group_key: Mapped[str | None] = mapped_column(String(90), index=True)
    resource_group: Mapped[str | None] = mapped_column(String(90))
    body: Mapped[str] = mapped_column(Text)
    etag: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    owner_key: Mapped[str | None] = mapped_column(String(1024), index=True, nullable=True)
    owner: Mapped[str | None] = mapped_column(String(1024), nullable=True)

    def to_record(self) -> StoredResource:
        return StoredResource(
            id=self.id,
            type=self.type,
            name=self.name,
            subscription_id=self.subscription_id,
            resource_group=self.resource_group,
            body=json.loads(self.body),
            etag=self.etag,
            created_at=_utc(self.created_at),
            updated_at=_utc(self.updated_at),
            deleted_at=_utc(self.deleted_at),
            owner=self.owner,
        )


class SettingRow(Base):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class SecretRow(Base):
    __tablename__ = "secrets"

    scope_key: Mapped[str] = mapped_column(String(1024), primary_key=True)
    name: Mapped[str] = mapped_column(String(260), primary_key=True)
    scope: Mapped[str] = mapped_column(String(1024))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    def to_record(self) -> StoredSecret:
        return StoredSecret(self.scope, self.name, self.ciphertext, _utc(self.updated_at))


class PrincipalRow(Base):
    __tablename__ = "principals"

    object_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    display_name: Mapped[str] = mapped_column(String(260))
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    token_hash: Mapped[str | None] = mapped_column(String(128), unique=True, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    owner_key: Mapped[str | None] = mapped_column(String(1024), index=True, nullable=True)
    owner: Mapped[str | None] = mapped_column(String(1024), nullable=True)

    def to_record(self) -> Principal:
        return Principal(
            self.object_id,
            self.kind,
            self.display_name,
            self.client_id,
            self.token_hash,
            _utc(self.created_at),
            self.owner,
        )
