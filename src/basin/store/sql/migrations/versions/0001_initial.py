"""The first schema: resources, settings, secrets, principals.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resources",
        sa.Column("id_key", sa.String(1024), primary_key=True),
        sa.Column("id", sa.String(1024), nullable=False),
        sa.Column("type", sa.String(200), nullable=False),
        sa.Column("name", sa.String(260), nullable=False),
        sa.Column("subscription_id", sa.String(64), nullable=False),
        sa.Column("resource_group_key", sa.String(90), nullable=True),
        sa.Column("resource_group", sa.String(90), nullable=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("etag", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_resources_type", "resources", ["type"])
    op.create_index("ix_resources_resource_group_key", "resources", ["resource_group_key"])
    op.create_table(
        "settings",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "secrets",
        sa.Column("scope_key", sa.String(1024), primary_key=True),
        sa.Column("name", sa.String(260), primary_key=True),
        sa.Column("scope", sa.String(1024), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "principals",
        sa.Column("object_id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("display_name", sa.String(260), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(128), nullable=True, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_principals_client_id", "principals", ["client_id"])


def downgrade() -> None:
    op.drop_table("principals")
    op.drop_table("secrets")
    op.drop_table("settings")
    op.drop_table("resources")
