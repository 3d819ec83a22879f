"""The outbox worker: claims users with due rows, one writer per iD, and sends their changes.

Claiming: a worker takes a user's lease in ``orcid_sync_locks`` (PostgreSQL: the lock rows
are picked with ``SELECT … FOR UPDATE SKIP LOCKED`` so concurrent workers never wait on each
other; SQLite: the same conditional ``UPDATE``, which SQLite runs one writer at a time, so
SQLite gets a single worker). A lease expires (``locked_until``): a worker killed mid-send
loses nothing, another one takes the user over after the lease.

Every call goes through the ORCID client with a call sink that writes ``OrcidCall`` rows in
the worker's own session and the shared :class:`~orcid_pyramid.sync.ratelimit.DbTokenBucket`.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from datetime import timedelta

from sqlalchemy import event, func, or_, select, update
from sqlalchemy.orm import sessionmaker

from ..client.factory import client_factory as make_client_factory
from ..crypto import TokenCipher
from ..models.calllog import OrcidCall
from ..models.meta import utcnow
from ..models.sync import OrcidOutbox, OrcidSyncLock
from .deferred import run_chores
from .outcome import Counts
from .ratelimit import bucket_for
from .sender import UserSender

log = logging.getLogger("orcid_pyramid.sync")


def db_call_sink(session, *, buffered: bool = False):
    """A client ``call_sink`` that adds one ``OrcidCall`` row per exchange to ``session``.

    The row commits with the session's next commit. ``buffered``: for calls made from other
    threads than the session's, records wait in a locked list and join the session in its
    own thread, just before it commits. (The worker makes every call of a user in its own
    thread, one at a time, so it does not need it.)
    """

    def row(record) -> OrcidCall:
        return OrcidCall(
            at=record.at, kind=record.kind, method=record.method, url=record.url,
            status=record.status, duration_ms=int(round(record.duration_ms)),
            request_body=record.request_body, response_body=record.response_body,
            orcid=record.orcid, user_id=record.user_id, error=record.error,
        )

    if not buffered:
        return lambda record: session.add(row(record))
    waiting: list = []
    lock = threading.Lock()

    def move(_session) -> None:
        with lock:
            records = waiting[:]
            waiting.clear()
        session.add_all([row(r) for r in records])

    event.listen(session, "before_commit", move)

    def sink(record) -> None:
        with lock:
            waiting.append(record)

    return sink


class Worker:
    """Drains the outbox: ``run_once()`` until nothing is pending, or ``run_forever()``."""

    def __init__(self, engine, settings, *, client_factory=None, worker_id: str | None = None,
                 lease_seconds: float = 60.0, batch_users: int = 8, backoff_base: float = 2.0,
                 backoff_cap: float = 3600.0, rate_limiter=None, timeout: float | None = None,
                 rng: random.Random | None = None, cipher: TokenCipher | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self.session_factory = sessionmaker(bind=engine, expire_on_commit=False)
        self.client_factory = client_factory or make_client_factory(settings, timeout=timeout)
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease = float(lease_seconds)
        self.batch_users = batch_users
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        if rate_limiter is None:
            rate_limiter = bucket_for(engine, settings.rate_per_second, settings.rate_burst)
        self.rate_limiter = rate_limiter
        # the site's own cipher when given: the worker must read the tokens the web side stored
        self.cipher = cipher if cipher is not None else TokenCipher.from_settings(settings)
        self.rng = rng or random.Random()
        self.counts = Counts()
        self.is_postgres = engine.dialect.name == "postgresql"

    @classmethod
    def from_registry(cls, registry, **kwargs) -> Worker:
        """A worker for a configured app: its engine, settings, token cipher and client factory
        (``orcid.client_factory``, the one the app's own client came from)."""
        kwargs.setdefault("client_factory", registry.get("orcid.client_factory"))
        kwargs.setdefault("cipher", registry.get("orcid.cipher"))
        worker = cls(registry["orcid.dbengine"], registry["orcid.settings"], **kwargs)
        worker.registry = registry  # the deferred pulls notify the app's subscribers
        return worker

    # -- claiming ------------------------------------------------------------------------
    def claim(self, session) -> list[str]:
        """Take the lease of up to ``batch_users`` users that have due rows and no live lease."""
        now = utcnow()
        until = now + timedelta(seconds=self.lease)
        free = or_(OrcidSyncLock.locked_until.is_(None), OrcidSyncLock.locked_until < now)
        due = (select(OrcidOutbox.user_id)
               .outerjoin(OrcidSyncLock, OrcidSyncLock.user_id == OrcidOutbox.user_id)
               .where(OrcidOutbox.done_at.is_(None), OrcidOutbox.next_attempt_at <= now,
                      or_(OrcidSyncLock.user_id.is_(None), free))
               .group_by(OrcidOutbox.user_id)
               .order_by(func.min(OrcidOutbox.next_attempt_at))
               .limit(self.batch_users * 2))
        users = list(session.execute(due).scalars())
        if not users:
            session.commit()
            return []
        self._ensure_lock_rows(session, users)
        locks = select(OrcidSyncLock.user_id).where(OrcidSyncLock.user_id.in_(users), free)
        if self.is_postgres:
            locks = locks.with_for_update(skip_locked=True)
        candidates = list(session.execute(locks.limit(self.batch_users)).scalars())
        claimed = []
        for user_id in candidates:
            taken = session.execute(
                update(OrcidSyncLock)
                .where(OrcidSyncLock.user_id == user_id, free)
                .values(locked_by=self.worker_id, locked_until=until)
            ).rowcount
            if taken == 1:
                claimed.append(user_id)
        session.commit()
        return claimed

    def _ensure_lock_rows(self, session, users) -> None:
        if self.is_postgres:
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        session.execute(insert(OrcidSyncLock).values([{"user_id": u} for u in users])
                        .on_conflict_do_nothing())

    def _renewer(self, session, user_id):
        """A callable the sender calls between rows: extends the lease, False when lost."""
        state = {"renewed": time.monotonic()}

        def renew() -> bool:
            if time.monotonic() - state["renewed"] < self.lease / 3:
                return True
            kept = session.execute(
                update(OrcidSyncLock)
                .where(OrcidSyncLock.user_id == user_id,
                       OrcidSyncLock.locked_by == self.worker_id)
                .values(locked_until=utcnow() + timedelta(seconds=self.lease))
            ).rowcount
            session.commit()
            state["renewed"] = time.monotonic()
            return kept == 1

        return renew

    def release(self, session, user_id) -> None:
        """Give a user's lease back."""
        session.execute(
            update(OrcidSyncLock)
            .where(OrcidSyncLock.user_id == user_id, OrcidSyncLock.locked_by == self.worker_id)
            .values(locked_by=None, locked_until=None)
        )
        session.commit()

    # -- sending -------------------------------------------------------------------------
    def process_user(self, session, client, user_id: str) -> Counts:
        """Send one claimed user's due rows."""

        def api_for(link, access_token):
            return client.member(access_token, link.orcid,
                                 log_context={"user_id": link.user_id, "orcid": link.orcid})

        sender = UserSender(
            session, user_id, api_for=api_for, cipher=self.cipher,
            client_id=self.settings.client_id, worker_id=self.worker_id, lease=self.lease,
            policy=self.settings.deleted_item_policy, backoff_base=self.backoff_base,
            backoff_cap=self.backoff_cap, renew=self._renewer(session, user_id), rng=self.rng,
        )
        try:
            return sender.run()
        finally:
            session.rollback()  # anything half-done is not committed; the rows stay due
            self.release(session, user_id)

    def run_once(self, *, deadline: float | None = None, progress=None,
                 stop: threading.Event | None = None) -> Counts:
        """Send everything that is due, waiting for retries, until nothing is pending.

        Rows held for a revoked link do not count as pending. ``deadline`` (monotonic
        seconds) stops early; ``progress(counts)`` is called after each user.
        """
        session = self.session_factory()
        session.info["orcid_worker"] = self.worker_id
        client = self.client_factory(db_call_sink(session), self.rate_limiter)
        try:
            while (deadline is None or time.monotonic() < deadline) and not (
                    stop is not None and stop.is_set()):
                run_chores(self, session, client)  # queued revocations, webhook pulls
                users = self.claim(session)
                for user_id in users:
                    self.counts.add(self.process_user(session, client, user_id))
                    if progress is not None:
                        progress(self.counts)
                if users:
                    continue
                wait = self._next_due_in(session)
                if wait is None:
                    break
                pause = min(max(wait, 0.01), 1.0)
                if stop is not None:
                    stop.wait(pause)
                else:
                    time.sleep(pause)
        finally:
            session.close()
        return self.counts

    def run_forever(self, stop: threading.Event, *, poll: float = 1.0, progress=None) -> Counts:
        """Keep draining until ``stop`` is set, polling every ``poll`` seconds when idle."""
        while not stop.is_set():
            self.run_once(deadline=time.monotonic() + 60, progress=progress, stop=stop)
            stop.wait(poll)
        return self.counts

    def _next_due_in(self, session) -> float | None:
        """Seconds until the next pending row is due (None: nothing pending but held rows)."""
        soonest = session.execute(
            select(func.min(OrcidOutbox.next_attempt_at))
            .where(OrcidOutbox.done_at.is_(None), OrcidOutbox.next_attempt_at.is_not(None))
        ).scalar()
        session.commit()
        if soonest is None:
            return None
        if soonest.tzinfo is None:  # SQLite hands func.min back as a naive UTC datetime
            soonest = soonest.replace(tzinfo=utcnow().tzinfo)
        return (soonest - utcnow()).total_seconds()
