"""Deferred ORCID calls (webhook pulls and removals), consumed OAuth states, and the iD of a
pending revocation.

Revision ID: 0003_tasks
Revises: 0002_sync
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from orcid_pyramid.models.meta import UTCDateTime

revision = "0003_tasks"
down_revision = "0002_sync"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create orcid_tasks and orcid_used_states; add orcid_pending_revocations.orcid."""
    op.create_table(
        "orcid_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("orcid", sa.String(19), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orcid_tasks")),
        sa.UniqueConstraint("kind", "orcid", name=op.f("uq_orcid_tasks_kind")),
    )
    op.create_index(op.f("ix_orcid_tasks_due_at"), "orcid_tasks", ["due_at"])
    op.create_table(
        "orcid_used_states",
        sa.Column("state_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("state_hash", name=op.f("pk_orcid_used_states")),
    )
    op.create_index(op.f("ix_orcid_used_states_expires_at"), "orcid_used_states",
                    ["expires_at"])
    with op.batch_alter_table("orcid_pending_revocations") as batch:
        batch.add_column(sa.Column("orcid", sa.String(19), nullable=True))


def downgrade() -> None:
    """Drop what upgrade added."""
    with op.batch_alter_table("orcid_pending_revocations") as batch:
        batch.drop_column("orcid")
    op.drop_index(op.f("ix_orcid_used_states_expires_at"), table_name="orcid_used_states")
    op.drop_table("orcid_used_states")
    op.drop_index(op.f("ix_orcid_tasks_due_at"), table_name="orcid_tasks")
    op.drop_table("orcid_tasks")
