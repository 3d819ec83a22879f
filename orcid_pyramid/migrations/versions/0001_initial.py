"""The add-on's own tables: linked iDs, the ORCID call log, pending revocations.

Revision ID: 0001_initial
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from orcid_pyramid.models.meta import UTCDateTime

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create orcid_links, orcid_calls and orcid_pending_revocations."""
    op.create_table(
        "orcid_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("orcid", sa.String(19), nullable=False),
        sa.Column("name", sa.String(500), nullable=True),
        sa.Column("access_token_enc", sa.Text(), nullable=True),
        sa.Column("refresh_token_enc", sa.Text(), nullable=True),
        sa.Column("token_type", sa.String(40), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("id_token_claims", sa.JSON(), nullable=True),
        sa.Column("id_token_enc", sa.Text(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orcid_links")),
        sa.UniqueConstraint("user_id", name=op.f("uq_orcid_links_user_id")),
        sa.UniqueConstraint("orcid", name=op.f("uq_orcid_links_orcid")),
    )
    op.create_table(
        "orcid_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("request_body", sa.Text(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("orcid", sa.String(19), nullable=True),
        sa.Column("user_id", sa.String(255), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orcid_calls")),
    )
    op.create_index(op.f("ix_orcid_calls_at"), "orcid_calls", ["at"])
    op.create_index(op.f("ix_orcid_calls_orcid"), "orcid_calls", ["orcid"])
    op.create_index(op.f("ix_orcid_calls_user_id"), "orcid_calls", ["user_id"])
    op.create_table(
        "orcid_pending_revocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_enc", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orcid_pending_revocations")),
    )
    op.create_index(op.f("ix_orcid_pending_revocations_next_attempt_at"),
                    "orcid_pending_revocations", ["next_attempt_at"])


def downgrade() -> None:
    """Drop the three tables."""
    op.drop_index(op.f("ix_orcid_pending_revocations_next_attempt_at"),
                  table_name="orcid_pending_revocations")
    op.drop_table("orcid_pending_revocations")
    op.drop_index(op.f("ix_orcid_calls_user_id"), table_name="orcid_calls")
    op.drop_index(op.f("ix_orcid_calls_orcid"), table_name="orcid_calls")
    op.drop_index(op.f("ix_orcid_calls_at"), table_name="orcid_calls")
    op.drop_table("orcid_calls")
    op.drop_table("orcid_links")
