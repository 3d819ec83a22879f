"""The bulk POST in flight, kept on the researcher's lease row (``orcid_sync_locks.posting``).

The worker used to flag every work of a bulk "POST in flight" (an ``UPDATE`` of 100 registry
rows) before the call. The fence now writes the bulk's registry ids into the lease row it
updates anyway; the next lease holder flags those of them still without a put code.

Revision ID: 0006_lease_posting
Revises: 0005_fillfactor
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_lease_posting"
down_revision = "0005_fillfactor"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add orcid_sync_locks.posting (empty: no bulk is in flight during an upgrade)."""
    with op.batch_alter_table("orcid_sync_locks") as batch:
        batch.add_column(sa.Column("posting", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop what upgrade added."""
    with op.batch_alter_table("orcid_sync_locks") as batch:
        batch.drop_column("posting")
