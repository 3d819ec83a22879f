"""The outbox worker: claims users with due rows, one writer per iD, and sends their changes.

Claiming and fencing live in :mod:`~orcid_pyramid.sync.lease`: a thread takes one user at a
time (so a few researchers spread over all threads instead of queuing behind one), and
checks before every request that the user is still its own. A lease expires
(``locked_until``): a worker killed mid-send loses nothing, another one takes the user over.
SQLite runs one writer at a time, so SQLite gets a single worker. On PostgreSQL the users due
when ``orcid-pyramid sync`` starts are claimed, read and fenced together by its main thread
(:meth:`Worker.take_first`), and each thread starts with one of them.

Idle threads (every due user is held by another thread) sleep until the next row falls due,
at most ``IDLE_MAX``, or until a thread finds nothing left, instead of polling the database
every few milliseconds. A thread that gives a user back does not wake one: it looks for the
next user itself (a woken thread's look found nothing, two queries and a commit each time,
as many times as researchers in a first push).

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

from sqlalchemy import event, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from ..client.factory import client_factory as make_client_factory
from ..crypto import TokenCipher
from ..models.calllog import OrcidCall
from ..models.meta import utcnow
from ..models.sync import OrcidOutbox
from .deferred import READS_WAITING, reads_waiting, run_chores
from .lease import CandidatePool, Claimer, Lease
from .newworks import first_marker, read_new_works
from .outcome import Counts
from .ratelimit import bucket_for
from .sender import UserSender, links_seen

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


#: woken when a thread finds nothing left (threads of one process; others poll, see ``IDLE_MAX``)
_RELEASED = threading.Condition()
#: the longest an idle thread sleeps before looking for due users again (seconds)
IDLE_MAX = 0.5


def _commit_without_waiting(session, transaction, connection) -> None:
    """PostgreSQL: the worker's commits do not wait for the disk, except the one before each
    request (:meth:`~orcid_pyramid.sync.lease.Lease.fence`). What such a commit records (put
    codes, finished rows, leases) can only be lost with the database server itself, and then
    the items are still flagged "in flight": the next run reconciles them, nothing is sent
    twice. A flush to disk cost about 6 ms a commit here, eight commits a bulk."""
    connection.exec_driver_sql("SET LOCAL synchronous_commit = off")


#: an engine's execution option: its connections already run with ``synchronous_commit``
#: off (``connect_args``), so the worker need not say so at each transaction (a round trip
#: and 0.7 ms of CPU each, some twenty a user): see ``orcid_pyramid.cli.sync``
ASYNC_COMMIT = "orcid_async_commit"


class Worker:
    """Drains the outbox: ``run_once()`` until nothing is pending, or ``run_forever()``."""

    def __init__(self, engine, settings, *, client_factory=None, worker_id: str | None = None,
                 lease_seconds: float | None = None, batch_users: int = 1,
                 backoff_base: float = 2.0, backoff_cap: float = 3600.0, rate_limiter=None,
                 timeout: float | None = None,
                 rng: random.Random | None = None, cipher: TokenCipher | None = None,
                 candidates: CandidatePool | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self.session_factory = sessionmaker(bind=engine, expire_on_commit=False)
        self.client_factory = client_factory or make_client_factory(settings, timeout=timeout)
        host = socket.gethostname()[:60]
        self.worker_id = worker_id or f"{host}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        if lease_seconds is None:
            lease_seconds = getattr(settings, "sync_lease", None) or 60.0
        self.lease = float(lease_seconds)
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
        # a request may stay in flight for the client's timeout (connect + read): the lease
        # taken before it must outlast it
        in_flight = 2 * float(timeout or getattr(settings, "timeout", None) or 10.0) + 1.0
        self.claimer = Claimer(self.worker_id, self.lease, in_flight,
                               is_postgres=self.is_postgres, batch=batch_users,
                               pool=candidates)
        self._leases: dict[str, Lease] = {}

    @classmethod
    def from_registry(cls, registry, *, engine=None, **kwargs) -> Worker:
        """A worker for a configured app: its engine (unless ``engine``), settings, token
        cipher and client factory (``orcid.client_factory``, the one the app's own client
        came from)."""
        kwargs.setdefault("client_factory", registry.get("orcid.client_factory"))
        kwargs.setdefault("cipher", registry.get("orcid.cipher"))
        worker = cls(engine or registry["orcid.dbengine"], registry["orcid.settings"], **kwargs)
        worker.registry = registry  # the deferred pulls notify the app's subscribers
        return worker

    # -- claiming ------------------------------------------------------------------------
    def claim(self, session) -> list[str]:
        """Take the lease of users that have due rows and no live lease (one by default)."""
        leases = self.claimer.claim(session)
        self._leases.update({lease.user_id: lease for lease in leases})
        return [lease.user_id for lease in leases]

    # -- sending -------------------------------------------------------------------------
    def take_first(self, limit: int) -> list[tuple]:
        """PostgreSQL: up to ``limit`` users with due rows claimed in one statement, read
        together (their links, and the plan and content of those whose due rows are all new
        works) and the first bulk of each such plan fenced: ``(user, token, read, fence)``
        for :meth:`run_once`'s ``first``; ``read`` None when the user goes the ORM path,
        ``fence`` the marker and when its fence began (:meth:`Lease.fenced`).

        The first researchers of a ``sync`` run: each of its threads made its own claim (a
        statement and a commit), four reads (the link, the due rows, their registry rows,
        their content) and the first bulk's fence (a statement and a commit that waits for
        the disk), one thread after the other on one interpreter, before its researcher's
        first request; here they are one claim, four reads, one fence and one durable
        commit for them all. A database error leaves nobody taken (one transaction) and
        returns []."""
        session = self.session_factory()
        try:
            taken = self.claimer.claim_many(session, limit)
            users = [user_id for user_id, _ in taken]
            links, reads, marks, fenced, started = {}, {}, {}, set(), 0.0
            if users:
                connection = session.connection()
                links = links_seen(connection, users)
                reads = read_new_works(connection, links, users)
                # the first bulk's fence too: in this transaction, one durable commit for all
                tokens = dict(taken)
                marks = {user_id: (tokens[user_id], first_marker(plan))
                         for user_id, (plan, _) in reads.items() if plan}
                if marks:
                    fenced, started = self.claimer.fence_many(session, marks)
            session.commit()
        except SQLAlchemyError as exc:
            session.rollback()
            log.warning("could not take the first researchers together (%s): each thread "
                        "takes its own", type(exc).__name__)
            return []
        finally:
            session.close()
        return [(user_id, token, (links[user_id], *reads[user_id]) if user_id in reads
                 else None, (marks[user_id][1], started) if user_id in fenced else None)
                for user_id, token in taken]

    def process_user(self, session, client, user_id: str, read=None) -> Counts:
        """Send one claimed user's due rows, then give the user back (``read``: see
        :meth:`~orcid_pyramid.sync.sender.UserSender.run`)."""
        lease = self._leases.pop(user_id)

        def api_for(link, access_token):
            return client.member(access_token, link.orcid,
                                 log_context={"user_id": link.user_id, "orcid": link.orcid})

        sender = UserSender(
            session, user_id, api_for=api_for, cipher=self.cipher,
            client_id=self.settings.client_id, worker_id=lease.token, lease=self.lease,
            policy=self.settings.deleted_item_policy, backoff_base=self.backoff_base,
            backoff_cap=self.backoff_cap, lease_guard=lease, rng=self.rng,
        )
        try:
            return sender.run(read)
        finally:
            lease.release()  # anything half-done is rolled back; its rows stay due

    def run_once(self, *, deadline: float | None = None, progress=None,
                 stop: threading.Event | None = None, until_idle: bool = False,
                 first: tuple | None = None) -> Counts:
        """Send everything that is due, waiting for retries, until nothing is pending.

        Rows held for a revoked link do not count as pending. ``deadline`` (monotonic
        seconds) stops early; ``progress(counts)`` is called after each user;
        ``until_idle``: return as soon as no user is left to claim, without waiting for
        retries or for users other threads hold (the extra threads of ``orcid-pyramid
        sync``, started for a push and stopped after it); ``first``: a user claimed and read
        for this thread (:meth:`take_first`), sent before anything else.
        """
        session = self.session_factory()
        session.info["orcid_worker"] = self.worker_id
        if self.is_postgres and not self.engine.get_execution_options().get(ASYNC_COMMIT):
            event.listen(session, "after_begin", _commit_without_waiting)
        client = self.client_factory(db_call_sink(session), self.rate_limiter)
        try:
            if first is not None:
                user_id, token, read, fence = first
                lease = self._leases[user_id] = Lease(
                    session, user_id, token, self.claimer.seconds, self.claimer.in_flight)
                if fence is not None:
                    lease.fenced(*fence)
                self.counts.add(self.process_user(session, client, user_id, read))
                leave = getattr(self.rate_limiter, "leave", None)
                if leave is not None:  # (sync.firstround: no request, nobody waits for it)
                    leave()
                if progress is not None:
                    progress(self.counts)
            while not self._stopping(deadline, stop):
                users = self.claim(session)
                for user_id in users:
                    self.counts.add(self.process_user(session, client, user_id))
                    if progress is not None:
                        progress(self.counts)
                # queued revocations, webhook pulls, pruning: after the users claimed, not
                # before, so that they never hold back what is due for ORCID (the thread
                # that did them first held its researcher's first request back by some
                # 40 ms in a first push of 10 researchers, 10 ms of its CPU among theirs)
                run_chores(self, session, client)
                if users:
                    continue
                if until_idle and not session.info.get(READS_WAITING):
                    break  # (a read this thread put off for a writer: it stays to make it)
                wait = self._next_due_in(session)
                if wait is None:
                    with _RELEASED:  # nothing left: every idle thread may stop now
                        _RELEASED.notify_all()
                    break
                self._idle(wait, stop)
        finally:
            session.close()
        return self.counts

    def run_forever(self, stop: threading.Event, *, poll: float = 1.0, progress=None,
                    first: tuple | None = None) -> Counts:
        """Keep draining until ``stop`` is set, polling every ``poll`` seconds when idle
        (``first``: see :meth:`run_once`)."""
        while not stop.is_set():
            self.run_once(deadline=time.monotonic() + 60, progress=progress, stop=stop,
                          first=first)
            first = None
            stop.wait(poll)
        return self.counts

    @staticmethod
    def _stopping(deadline: float | None, stop: threading.Event | None) -> bool:
        return (deadline is not None and time.monotonic() >= deadline) or (
            stop is not None and stop.is_set())

    @staticmethod
    def _idle(wait: float, stop: threading.Event | None) -> None:
        """Nothing to claim: sleep until the next row is due, or until a thread finds nothing
        left, at most ``IDLE_MAX``."""
        if stop is not None and stop.is_set():
            return
        with _RELEASED:
            _RELEASED.wait(min(max(wait, 0.001), IDLE_MAX) if wait > 0 else IDLE_MAX)

    def _next_due_in(self, session) -> float | None:
        """Seconds until the next pending row is due (None: nothing pending but held rows)."""
        # the first entry of the due index (done_at, next_attempt_at) among unfinished rows:
        # min() read every unfinished row (PostgreSQL does not take "done_at IS NULL" as
        # fixing the index's first column), 2.4 ms a call with 5,000 rows in a first push,
        # where some 40 idle threads ask; ordered by both columns, it reads one entry
        soonest = session.execute(
            select(OrcidOutbox.next_attempt_at)
            .where(OrcidOutbox.done_at.is_(None), OrcidOutbox.next_attempt_at.is_not(None))
            .order_by(OrcidOutbox.done_at, OrcidOutbox.next_attempt_at).limit(1)
        ).scalar()
        session.commit()
        read = reads_waiting(session)  # reads this thread put off for another's writer
        if soonest is None:
            return read
        if soonest.tzinfo is None:  # SQLite may hand it back as a naive UTC datetime
            soonest = soonest.replace(tzinfo=utcnow().tzinfo)
        send = (soonest - utcnow()).total_seconds()
        return send if read is None else min(send, read)
