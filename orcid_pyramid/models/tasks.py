"""Work the web side hands to the worker, and the server side of the OAuth ``state``.

- ``OrcidTask``: one deferred ORCID call per (kind, iD): a webhook delivery's pull (debounced:
  a second delivery before the worker ran finds the row and adds nothing) or a webhook
  removal that failed at disconnect time. The web thread never waits on ORCID for these.
- ``OrcidUsedState``: the hash of every ``state`` a callback consumed, until it expires, so a
  replayed session cookie or a concurrent identical callback cannot use it a second time.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .meta import Base, UTCDateTime, utcnow

TASK_PULL = "pull"
TASK_UNHOOK = "unregister-webhook"


class OrcidTask(Base):
    """A deferred call to ORCID for one record, done by the sync worker when due."""

    __tablename__ = "orcid_tasks"
    __table_args__ = (UniqueConstraint("kind", "orcid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    orcid: Mapped[str] = mapped_column(String(19))
    #: the webhook callback URL to remove (absolute URLs are only known to a request)
    url: Mapped[str | None] = mapped_column(Text, nullable=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)

    def __repr__(self) -> str:
        return f"<OrcidTask {self.kind} {self.orcid} attempts={self.attempts}>"


class OrcidUsedState(Base):
    """A consumed OAuth ``state`` (SHA-256 of it, never the value), kept until it expires."""

    __tablename__ = "orcid_used_states"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
