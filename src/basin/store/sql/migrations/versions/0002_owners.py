"""Owners: what a principal or resource exists because of, so deleting the owner deletes it.

Also brings an existing installation over: the principals and the automatic role assignments
that workspaces, endpoints and user-assigned identities made get their owner, and what earlier
versions left behind when an owner went (principals, their role assignments anywhere, MSI
bindings of replicas long gone) is removed.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("resources", "principals"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("owner_key", sa.String(1024), nullable=True))
            batch.add_column(sa.Column("owner", sa.String(1024), nullable=True))
            batch.create_index(f"ix_{table}_owner_key", ["owner_key"])
    from basin.store.sql.migrations.owners_backfill import backfill

    backfill(op.get_bind())


def downgrade() -> None:
    for table in ("principals", "resources"):
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_owner_key")
            batch.drop_column("owner")
            batch.drop_column("owner_key")
