"""Sync tables: the put-code registry, the outbox, per-iD writer locks, the shared rate bucket
and the pull cursor (checklist DM-5, DM-6, BP-5, CC-SYNC).

``OrcidItem`` is the desired/known state of one local object on ORCID; ``OrcidOutbox`` holds
the changes the host asked for, written in the host's transaction and drained by the worker.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from .meta import Base, UTCDateTime

#: item statuses and the words the panel shows for them
STATUS_PENDING = "pending"
STATUS_SYNCED = "synced"
STATUS_DELETED_ON_ORCID = "deleted_on_orcid"
STATUS_REVOKED = "revoked"
STATUS_REJECTED = "rejected"
STATUS_RETRYING = "retrying"

#: see UPDATED_IN_PLACE (migration 0005_fillfactor sets the same)
FILLFACTOR = 70


#: PostgreSQL: pages of the tables the worker updates on every send are filled to 70 %, so an
#: update that changes no indexed column stays on its page (a "HOT" update: no new index
#: entries). The worker updates each outbox row twice and each item twice per send; in a
#: first push of 40 researchers x 100 works PostgreSQL's CPU per bulk went from 13.2-14.7 to
#: 10.0-12.8 ms. The price: those two tables take about 1.4 times the space.
UPDATED_IN_PLACE = {"postgresql_with": {"fillfactor": FILLFACTOR}}


class OrcidItem(Base):
    """One local object mapped to one ORCID item: (iD, section, put code) and what was sent."""

    __tablename__ = "orcid_items"
    __table_args__ = (
        UniqueConstraint("user_id", "section", "local_key", name="uq_orcid_items_user_section_key"),
        Index("ix_orcid_items_orcid_section", "orcid", "section"),
        UPDATED_IN_PLACE,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255), nullable=False)
    orcid: Mapped[str | None] = mapped_column(String(19), nullable=True)
    section: Mapped[str] = mapped_column(String(40), nullable=False)
    local_key: Mapped[str] = mapped_column(String(255), nullable=False)
    put_code: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    #: hash of the content last accepted by ORCID (None: nothing sent yet)
    content_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    title: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    status: Mapped[str] = mapped_column(String(20), nullable=False, default=STATUS_PENDING)
    #: a POST was sent and its answer not recorded yet: reconcile before posting again
    post_in_flight: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    #: ORCID's last-modified-date (epoch ms) of the item as last seen by a read
    remote_modified: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    #: the item was changed on ORCID by someone else since we last wrote it
    changed_on_orcid: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class OrcidOutbox(Base):
    """A change the host asked for (``put`` or ``remove``), drained by the worker.

    ``next_attempt_at`` None means "held": the user's link is revoked or missing; connecting
    again releases the rows.
    """

    __tablename__ = "orcid_outbox"
    __table_args__ = (
        Index("ix_orcid_outbox_due", "done_at", "next_attempt_at"),
        Index("ix_orcid_outbox_user_key", "user_id", "section", "local_key"),
        UPDATED_IN_PLACE,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255), nullable=False)
    section: Mapped[str] = mapped_column(String(40), nullable=False)
    local_key: Mapped[str] = mapped_column(String(255), nullable=False)
    action: Mapped[str] = mapped_column(String(10), nullable=False)  # put | remove
    payload: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    content_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    title: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    locked_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class OrcidSyncLock(Base):
    """One writer per iD: a worker holds a user's lease while it sends that user's changes."""

    __tablename__ = "orcid_sync_locks"

    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    locked_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: the registry rows (``OrcidItem`` ids, comma-separated) of a bulk POST whose answer is
    #: not recorded yet, written by the fence before the call: the next lease holder flags
    #: those still without a put code "POST in flight" (see ``sync.lease``)
    posting: Mapped[str | None] = mapped_column(Text, nullable=True)


class OrcidRateBucket(Base):
    """A token bucket shared by every worker process through one row updated atomically."""

    __tablename__ = "orcid_rate_buckets"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float, nullable=False)
    #: epoch seconds of the last refill
    updated: Mapped[float] = mapped_column(Float, nullable=False)


class OrcidPullCursor(Base):
    """What was last read from one record (webhook or scheduled pull)."""

    __tablename__ = "orcid_pull_cursors"

    orcid: Mapped[str] = mapped_column(String(19), primary_key=True)
    #: the record's activities last-modified-date (epoch ms) at the last read
    last_modified: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    webhook_registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
