"""``OrcidPendingRevocation``: a token to revoke at ORCID that could not be revoked at
disconnect time (ORCID down), or a fresh grant whose callback may not store it (a guard row,
due only after a grace period and deleted in the transaction that stores the link); retried
by the sync worker until ORCID confirms, so BP-3 holds even through an outage."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .meta import Base, UTCDateTime, utcnow


class OrcidPendingRevocation(Base):
    """One encrypted token waiting to be revoked."""

    __tablename__ = "orcid_pending_revocations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_enc: Mapped[str] = mapped_column(Text)
    #: whose grant it was: a token some link of this iD holds again is never revoked
    orcid: Mapped[str | None] = mapped_column(String(19), nullable=True)
    #: the site's user whose grant it was (the call log and the log lines name them)
    user_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    def __init__(self, **values):
        values.setdefault("attempts", 0)  # usable before the first flush
        super().__init__(**values)

    def __repr__(self) -> str:
        return f"<OrcidPendingRevocation id={self.id} attempts={self.attempts}>"
