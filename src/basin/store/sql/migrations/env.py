"""Alembic environment: basin hands the connection in; nothing is read from alembic.ini."""

from __future__ import annotations

from alembic import context

from basin.store.sql.rows import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
