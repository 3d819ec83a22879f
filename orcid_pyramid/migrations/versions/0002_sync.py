"""Sync tables: put-code registry, outbox, writer locks, rate bucket, pull cursor.

Revision ID: 0002_sync
Revises: 0001_initial
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from orcid_pyramid.models.meta import UTCDateTime

revision = "0002_sync"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the sync tables."""
    op.create_table(
        "orcid_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("orcid", sa.String(19), nullable=True),
        sa.Column("section", sa.String(40), nullable=False),
        sa.Column("local_key", sa.String(255), nullable=False),
        sa.Column("put_code", sa.BigInteger(), nullable=True),
        sa.Column("content_hash", sa.String(64), nullable=True),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("post_in_flight", sa.Boolean(), nullable=False),
        sa.Column("remote_modified", sa.BigInteger(), nullable=True),
        sa.Column("changed_on_orcid", sa.Boolean(), nullable=False),
        sa.Column("last_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orcid_items")),
        sa.UniqueConstraint("user_id", "section", "local_key",
                            name="uq_orcid_items_user_section_key"),
    )
    op.create_index("ix_orcid_items_orcid_section", "orcid_items", ["orcid", "section"])
    op.create_table(
        "orcid_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("section", sa.String(40), nullable=False),
        sa.Column("local_key", sa.String(255), nullable=False),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("content_hash", sa.String(64), nullable=True),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("locked_by", sa.String(100), nullable=True),
        sa.Column("locked_until", UTCDateTime(), nullable=True),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orcid_outbox")),
    )
    op.create_index("ix_orcid_outbox_due", "orcid_outbox", ["done_at", "next_attempt_at"])
    op.create_index("ix_orcid_outbox_user_key", "orcid_outbox",
                    ["user_id", "section", "local_key"])
    op.create_table(
        "orcid_sync_locks",
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("locked_by", sa.String(100), nullable=True),
        sa.Column("locked_until", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_orcid_sync_locks")),
    )
    op.create_table(
        "orcid_rate_buckets",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("updated", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_orcid_rate_buckets")),
    )
    op.create_table(
        "orcid_pull_cursors",
        sa.Column("orcid", sa.String(19), nullable=False),
        sa.Column("last_modified", sa.BigInteger(), nullable=True),
        sa.Column("last_read_at", UTCDateTime(), nullable=True),
        sa.Column("webhook_registered_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("orcid", name=op.f("pk_orcid_pull_cursors")),
    )


def downgrade() -> None:
    """Drop the sync tables."""
    op.drop_table("orcid_pull_cursors")
    op.drop_table("orcid_rate_buckets")
    op.drop_table("orcid_sync_locks")
    op.drop_index("ix_orcid_outbox_user_key", table_name="orcid_outbox")
    op.drop_index("ix_orcid_outbox_due", table_name="orcid_outbox")
    op.drop_table("orcid_outbox")
    op.drop_index("ix_orcid_items_orcid_section", table_name="orcid_items")
    op.drop_table("orcid_items")
