"""PostgreSQL: the outbox and item tables leave 30 % of each page free, so the worker's
updates that change no indexed column stay on their page (see models.sync.UPDATED_IN_PLACE).

Existing pages keep their contents; new and rewritten pages follow the setting.

Revision ID: 0005_fillfactor
Revises: 0004_revocation_user
"""

from __future__ import annotations

from alembic import op

revision = "0005_fillfactor"
down_revision = "0004_revocation_user"
branch_labels = None
depends_on = None

TABLES = ("orcid_outbox", "orcid_items")


def upgrade() -> None:
    """Set fillfactor 70 on the two tables (PostgreSQL only; other databases have none)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} SET (fillfactor = 70)")


def downgrade() -> None:
    """Back to PostgreSQL's default (100)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} RESET (fillfactor)")
