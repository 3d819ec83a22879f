"""The user of a pending revocation (the call log and the worker's log lines name them).

Revision ID: 0004_revocation_user
Revises: 0003_tasks
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_revocation_user"
down_revision = "0003_tasks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add orcid_pending_revocations.user_id (empty for rows queued before it)."""
    with op.batch_alter_table("orcid_pending_revocations") as batch:
        batch.add_column(sa.Column("user_id", sa.String(255), nullable=True))


def downgrade() -> None:
    """Drop what upgrade added."""
    with op.batch_alter_table("orcid_pending_revocations") as batch:
        batch.drop_column("user_id")
