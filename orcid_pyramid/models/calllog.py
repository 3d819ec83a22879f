"""``OrcidCall``: one row per HTTP exchange with ORCID (DM-7). The writer (the client's call-log
hook) redacts tokens and secrets and caps the bodies at ``orcid.call_log_body_limit``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .meta import Base, UTCDateTime, utcnow


class OrcidCall(Base):
    """A logged call: what was asked, what came back (or the error) and for whom."""

    __tablename__ = "orcid_calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: "oauth", "api", "webhook", "revoke", ...
    kind: Mapped[str] = mapped_column(String(20), default="api")
    method: Mapped[str] = mapped_column(String(10))
    url: Mapped[str] = mapped_column(Text)
    #: None: no response at all (timeout, connection refused)
    status: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    request_body: Mapped[str | None] = mapped_column(Text)
    response_body: Mapped[str | None] = mapped_column(Text)
    orcid: Mapped[str | None] = mapped_column(String(19), index=True)
    user_id: Mapped[str | None] = mapped_column(String(255), index=True)
    error: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<OrcidCall {self.method} {self.url} -> {self.status}>"
