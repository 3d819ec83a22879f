"""The database sink of the client's call hook (DM-7) and the log's retention.

Why not the request's transaction: a call is worth logging most when the request fails, and a
failed request's transaction (pyramid_tm) is rolled back. So, during a request, the sink keeps
the records aside and writes them on their own short session once the request has finished
(a finished callback runs after pyramid_tm committed or aborted). Writing them *during* the
request on a second connection is not an option on SQLite: a second writer would either wait
for the request's read lock or make the request's later write fail with a stale snapshot.
Outside a request (worker, scripts) a record is written at once.

The client redacts every record before the sink sees it; the sink adds nothing secret.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

#: how often (seconds) one process prunes rows older than orcid.call_log_retention_days
PRUNE_EVERY = 3600.0
_PENDING = "orcid.pending_calls"


class DbCallSink:
    """A callable ``sink(record)`` writing one ``OrcidCall`` row per ORCID exchange."""

    def __init__(self, engine, retention_days: int, registry=None):
        self.engine = engine
        self.retention_days = retention_days
        self.registry = registry
        self._last_prune = 0.0
        self._lock = threading.Lock()

    def __call__(self, record) -> None:
        """Store ``record`` (an already redacted ``CallRecord``)."""
        from pyramid.threadlocal import get_current_request

        values = row_values(record)
        request = get_current_request()
        if request is not None and (self.registry is None or request.registry is self.registry):
            pending = request.environ.get(_PENDING)
            if pending is None:
                pending = request.environ[_PENDING] = []
                request.add_finished_callback(self._flush)
            pending.append(values)
            return
        self.write([values])

    def _flush(self, request) -> None:
        self.write(request.environ.pop(_PENDING, []))

    def write(self, rows: list[dict]) -> None:
        """Insert ``rows`` (column values) in one short transaction of their own."""
        from ..models import OrcidCall

        if not rows:
            return
        try:
            with Session(self.engine) as session:
                session.add_all(OrcidCall(**values) for values in rows)
                session.commit()
        except SQLAlchemyError as exc:
            # the log must never break the site; say what was lost (no bodies: no secrets)
            log.error("ORCID call log: %d call(s) not recorded (%s): %s", len(rows),
                      type(exc).__name__,
                      ", ".join(f"{r['method']} {r['url']} -> {r['status']}" for r in rows))
            return
        self.prune_if_due()

    def prune_if_due(self, now: float | None = None) -> int:
        """Delete rows older than the retention period, at most once per ``PRUNE_EVERY``."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if self._last_prune and now - self._last_prune < PRUNE_EVERY:
                return 0
            self._last_prune = now
        try:
            return prune(self.engine, self.retention_days)
        except SQLAlchemyError as exc:  # pruning is housekeeping: never fail a call for it
            log.warning("ORCID call log: pruning failed (%s)", type(exc).__name__)
            return 0


def prune(engine, retention_days: int, now: datetime | None = None) -> int:
    """Delete call-log rows older than ``retention_days``; returns how many."""
    from ..models import OrcidCall

    if retention_days <= 0:
        return 0
    cutoff = (now or datetime.now(UTC)) - timedelta(days=retention_days)
    with Session(engine) as session:
        result = session.execute(delete(OrcidCall).where(OrcidCall.at < cutoff))
        session.commit()
        return result.rowcount or 0


def row_values(record) -> dict:
    """``OrcidCall`` column values for a ``CallRecord``."""
    at = record.at if record.at.tzinfo else record.at.replace(tzinfo=UTC)
    duration = record.duration_ms
    return {
        "at": at,
        "kind": (record.kind or "api")[:20],
        "method": record.method,
        "url": record.url,
        "status": record.status,
        "duration_ms": None if duration is None else int(round(duration)),
        "request_body": record.request_body,
        "response_body": record.response_body,
        "orcid": record.orcid,
        "user_id": record.user_id,
        "error": record.error,
    }
