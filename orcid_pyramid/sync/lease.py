"""One writer per iD: per-user leases in ``orcid_sync_locks`` with a fencing token.

A worker claims a user by writing a token of its own (``locked_by``, unique per claim) and an
end (``locked_until``) into the user's lock row, but only when the row is free or its end has
passed. Before each request for that user the sender *fences*: one conditional ``UPDATE``
extends the lease where ``locked_by`` is still its token. When another worker took the user
over (the lease had lapsed: the process stalled, a batch ran long), the update matches no row
and the sender stops before sending anything. The extension covers the request's own
timeout, so no lease can lapse while a request is in flight; a claim with no request in
flight lapses after ``seconds`` (a killed worker's users come back quickly). The one request
that goes without its own round trip is a first-push bulk whose works the fence of its run
already named, while that fence is young (:meth:`Lease.fence`).

A bulk POST in flight is recorded by its fence: the registry ids of its works go into the
lease row (``posting``) in the same statement, instead of flagging each work "POST in flight"
(an ``UPDATE`` of 100 rows a bulk). Whoever takes the lease next (another worker after a
crash, a read of the record) flags those works still without a put code before anything
else, so their next attempt reconciles with what ORCID holds instead of posting them again.
The marker stays until a bulk's outcome is committed with the giving back (or the next
bulk's fence replaces it): a marker that outlives its outcome flags nothing (every work it
names has a put code) or works whose outcome was a failure (reconciled, never duplicated).

PostgreSQL: the lock rows are picked with ``SELECT … FOR UPDATE SKIP LOCKED`` so concurrent
claimers never wait on each other. SQLite: the same conditional ``UPDATE`` (one writer).

A request that got no answer (the client's timeout, a reset) may still be held by ORCID and
applied later. Its lease is then kept past the giving back: nothing more goes for that user,
from this worker (the next fence raises :class:`Unanswered`) or from another (the lock row
stays taken for one more request timeout, ``in_flight``, with nobody's token), until ORCID
can no longer be holding it.

The database's clock is not used: workers on several machines compare their own UTC clocks
with ``locked_until``, so keep them synchronised (NTP); the timeout added at each fence is
far larger than ordinary skew.
"""

from __future__ import annotations

import collections
import itertools
import threading
import time
from datetime import timedelta

from sqlalchemy import case, event, func, inspect, or_, select, update

from ..models.calllog import OrcidCall
from ..models.meta import utcnow
from ..models.sync import OrcidItem, OrcidOutbox, OrcidSyncLock

#: the lock table, for plain (Core) statements: an UPDATE through the ORM entity goes
#: through the ORM's bulk-update path, some tenths of a millisecond of CPU for nothing
_LOCKS = OrcidSyncLock.__table__


#: ``session.info`` key: how many times the session began a connection (``_watched``)
_BEGUN = "orcid_pyramid.begun"


def _watched(session) -> int:
    """How many times ``session`` began a connection so far (counted from the first call)."""
    if _BEGUN not in session.info:
        session.info[_BEGUN] = 0
        event.listen(session, "after_begin", _count_begin)
    return session.info[_BEGUN]


def _count_begin(session, transaction, connection) -> None:
    session.info[_BEGUN] = session.info.get(_BEGUN, 0) + 1


#: ``session.info`` key: the call-log rows flushed in the session's open transaction
_FLUSHED_CALLS = "orcid_pyramid.flushed_calls"


def _keeps_calls(session) -> None:
    """Have ``session`` hold on to the call-log rows it flushes until its transaction ends:
    once flushed, the session keeps only a weak reference to an object, and a rollback of
    the rows' transaction would leave nothing to add again (:meth:`Lease._roll_back`)."""
    if _FLUSHED_CALLS in session.info:
        return
    session.info[_FLUSHED_CALLS] = []
    event.listen(session, "before_flush", _note_calls)
    event.listen(session, "after_commit", _forget_calls)
    event.listen(session, "after_rollback", _forget_calls)


def _note_calls(session, flush_context, instances) -> None:
    session.info[_FLUSHED_CALLS].extend(
        obj for obj in session.new if isinstance(obj, OrcidCall))


def _forget_calls(session) -> None:
    session.info[_FLUSHED_CALLS].clear()


class LeaseLost(Exception):
    """Another worker holds this user now: send nothing more for them."""


class Unanswered(LeaseLost):
    """A request for this user got no answer and ORCID may still hold it: send nothing more
    for them now (the lease is kept for one more request timeout when given back)."""


#: the fence on PostgreSQL: ``set_config`` runs for the row kept (``SET LOCAL`` of the setting);
#: ``{posting}``: empty, or the bulk POST's marker
_FENCE_PG = (f"UPDATE {OrcidSyncLock.__tablename__} SET locked_until = %(until)s{{posting}} "
             "WHERE user_id = %(user_id)s AND locked_by = %(token)s "
             "RETURNING set_config('synchronous_commit', 'on', true)")
_FENCES_PG = {False: _FENCE_PG.format(posting=""),
              True: _FENCE_PG.format(posting=", posting = %(posting)s")}
#: the claim on PostgreSQL, as the driver takes it: a row another transaction is writing (a
#: claim, a fence) is skipped, not waited for. Built with the ORM for each claim, with its
#: subquery and FOR UPDATE, the statement cost 1.7-1.9 ms of the worker's CPU per researcher
#: (the ORM's execution), a tenth of what a researcher of 100 new works costs in all
_FREE_PG = "(locked_until IS NULL OR locked_until < %(now)s)"
_CLAIM_PG = (f"UPDATE {OrcidSyncLock.__tablename__} SET locked_by = %(token)s, "
             f"locked_until = %(until)s WHERE user_id = (SELECT user_id FROM "
             f"{OrcidSyncLock.__tablename__} WHERE user_id = %(user_id)s AND {_FREE_PG} "
             f"FOR UPDATE SKIP LOCKED) AND {_FREE_PG} RETURNING posting")
#: the claim of many users at once on PostgreSQL (:meth:`Claimer.claim_many`), each with its
#: own token, as :data:`_CLAIM_PG` claims one
_CLAIM_MANY_PG = (f"UPDATE {OrcidSyncLock.__tablename__} AS l SET locked_by = v.token, "
                  f"locked_until = %(until)s FROM unnest(%(users)s::varchar[], "
                  f"%(tokens)s::varchar[]) AS v(user_id, token) WHERE l.user_id = v.user_id "
                  f"AND l.user_id IN (SELECT user_id FROM {OrcidSyncLock.__tablename__} "
                  f"WHERE user_id = ANY(%(users)s::varchar[]) AND {_FREE_PG} "
                  "FOR UPDATE SKIP LOCKED) AND (l.locked_until IS NULL OR l.locked_until < "
                  "%(now)s) RETURNING l.user_id, l.posting")
#: the fence of many users' first bulk POSTs at once on PostgreSQL (:meth:`Claimer.fence_many`)
_FENCE_MANY_PG = (f"UPDATE {OrcidSyncLock.__tablename__} AS l SET locked_until = %(until)s, "
                  "posting = v.posting FROM unnest(%(users)s::varchar[], %(tokens)s::varchar[], "
                  "%(postings)s::text[]) AS v(user_id, token, posting) "
                  "WHERE l.user_id = v.user_id AND l.locked_by = v.token "
                  "RETURNING l.user_id, set_config('synchronous_commit', 'on', true)")
#: giving a user back on PostgreSQL (``True``: with the bulk POST's marker cleared)
_GIVE_BACK_PG = {
    cleared: (f"UPDATE {OrcidSyncLock.__tablename__} SET locked_by = NULL, "
              f"locked_until = %(until)s{', posting = NULL' if cleared else ''} "
              "WHERE user_id = %(user_id)s AND locked_by = %(token)s")
    for cleared in (False, True)}


def recover_posting(session, user_id: str, posting: str | None) -> None:
    """A new lease holder found a bulk POST's marker (``posting``): flag the works it names
    that still have no put code "POST in flight" (their next attempt reconciles), and clear
    it. In the claim's transaction."""
    if not posting:
        return
    ids = [int(part) for part in posting.split(",") if part.strip().isdigit()]
    items = OrcidItem.__table__
    if ids:
        session.execute(update(items).where(items.c.user_id == user_id, items.c.id.in_(ids),
                                            items.c.put_code.is_(None))
                        .values(post_in_flight=True))
    session.execute(update(_LOCKS).where(_LOCKS.c.user_id == user_id).values(posting=None))


class Lease:
    """A claimed user's lease, held through the worker's ``session``."""

    def __init__(self, session, user_id: str, token: str, seconds: float,
                 in_flight: float) -> None:
        self.session = session
        _keeps_calls(session)
        self.user_id = user_id
        self.token = token
        self.seconds = seconds
        self.in_flight = in_flight
        self.lost = False
        self.released = False
        #: a request got no answer: ORCID may still hold it (see :meth:`no_answer`)
        self.unanswered = False
        self.checked = time.monotonic()
        #: set by the sender for the fence of a bulk POST: the marker (registry ids) the
        #: fence writes into the lease row with the extension
        self.posting: str | None = None
        #: the marker the last fence made durable, and when (monotonic) that fence began
        self._marked: str | None = None
        self._fenced_at = float("-inf")
        self._begun = -1

    def _extend(self, seconds: float, posting: str | None = None) -> bool:
        started = time.monotonic()
        until = utcnow() + timedelta(seconds=seconds)
        if self.session.get_bind().dialect.name == "postgresql":
            # one round trip: the conditional UPDATE, and (for the row it kept) this
            # transaction's commit made durable ("POST in flight" flushed to disk before the
            # request leaves; the worker's other commits need not wait)
            kept = len(self.session.connection().exec_driver_sql(
                _FENCES_PG[posting is not None],
                {"until": until, "user_id": self.user_id, "token": self.token,
                 "posting": posting}
            ).fetchall())
        else:
            values = {"locked_until": until}
            if posting is not None:
                values["posting"] = posting
            kept = self.session.execute(
                update(_LOCKS)
                .where(_LOCKS.c.user_id == self.user_id, _LOCKS.c.locked_by == self.token)
                .values(**values)
            ).rowcount
        if kept != 1:
            self.lost = True
            self._roll_back()  # nothing half-done of a user we no longer own
            return False
        self.session.commit()
        self.checked = time.monotonic()
        self._begun = _watched(self.session)
        if posting is not None:
            self._marked, self._fenced_at = posting, started
        return True

    def fenced(self, posting: str, started: float) -> None:
        """The fence of this lease with the bulk POST marker ``posting`` was made durable by
        another session (:meth:`Claimer.fence_many`), beginning at ``started``
        (``time.monotonic()``), and nothing has been written in this one since: the next
        bulk POST that names it needs no round trip while the lease is young
        (:meth:`fence`)."""
        self._marked, self._fenced_at = posting, started
        self._begun = _watched(self.session)

    def fence(self) -> None:
        """Before a request: still ours? Extend past the request's timeout, or raise
        :class:`LeaseLost`. Commits the session (what was written before the call is durable
        first, see :class:`~orcid_pyramid.sync.outcome.CommitFirst`).

        One case needs no round trip: the next bulk of a first push whose marker the last
        fence already made durable (the sender names a run of bulks at once), with nothing
        written since and less than a third of the lease gone since that fence began. The
        lease then runs for at least two thirds of ``seconds`` beyond this request's own
        timeout, and no claimer takes a user before its lease has passed, so asking the
        database would only say "still yours" (at 100 ms a call, the fence's durable commit
        was a sixth of the time between a researcher's bulks). A stall longer than that
        is caught here as before: the time is read now, just before the request."""
        if self.lost:
            raise LeaseLost(self.user_id)
        if self.unanswered:
            raise Unanswered(self.user_id)
        if (self.posting is not None and self.posting == self._marked
                and self._nothing_to_commit()
                and time.monotonic() - self._fenced_at < self.seconds / 3):
            return
        if not self._extend(self.seconds + self.in_flight, self.posting):
            raise LeaseLost(self.user_id)

    def _roll_back(self) -> None:
        """Roll back what was written for the user, but keep the call-log rows waiting in
        the session, to commit with the giving back: those requests were made, whoever owns
        the user now (every call is logged, DM-7). A takeover lost them before, and the
        records of a run of bulks now wait for the run's put codes
        (:func:`~orcid_pyramid.client.calllog.held_records`)."""
        session = self.session
        calls = [*session.info.get(_FLUSHED_CALLS, ()),
                 *(obj for obj in session.new if isinstance(obj, OrcidCall))]
        session.rollback()
        for call in calls:
            if inspect(call).transient:  # added in the transaction rolled back (flushed or not)
                call.id = None  # a flushed row's id went with it: the row gets a new one
                session.add(call)

    def _nothing_to_commit(self) -> bool:
        """Nothing but call-log rows waits in the session since the last fence's commit: no
        statement ran (no connection began) and no object changed. The call-log rows of the
        run of bulks commit with the fence or the giving back that follows it."""
        session = self.session
        return (session.info.get(_BEGUN) == self._begun and not session.dirty
                and not session.deleted
                and all(isinstance(obj, OrcidCall) for obj in session.new))

    def no_answer(self) -> None:
        """The request just made got no answer (:class:`~orcid_pyramid.sync.outcome.CommitFirst`
        calls this): ORCID may still be working on it, and apply it after the client gave up.
        The next fence raises :class:`Unanswered`, and giving the user back keeps the lock row
        taken for ``in_flight`` more seconds (the client's timeout, twice, and a second), so
        that no worker sends for this iD while the request may still be in ORCID's hands (a
        second writer then would overlap it, and a POST sent again could meet the first one's
        work not yet there)."""
        self.unanswered = True

    def alive(self) -> bool:
        """Between rows that need no request: renew once a third of the lease has passed."""
        if self.lost:
            return False
        if time.monotonic() - self.checked < self.seconds / 3:
            return True
        return self._extend(self.seconds)

    def give_back(self, *, outcomes_recorded: bool = False) -> None:
        """Give the user back in the session's transaction, with the last outcomes: the
        caller commits, then sets ``released`` (one transaction less per researcher).
        ``outcomes_recorded``: every bulk POST's outcome is in this transaction, so its
        marker goes (otherwise it stays for the next holder)."""
        until = None
        if self.unanswered:  # taken, by nobody, until ORCID cannot be holding the request
            until = utcnow() + timedelta(seconds=self.in_flight)
        # on the session's connection (the pending changes flush with the commit that
        # follows); on PostgreSQL as the driver takes it: built for each researcher, the
        # statement cost some 0.7 ms of the worker's CPU (benchmarks/bench_sync_claims.py)
        connection = self.session.connection()
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(
                _GIVE_BACK_PG[outcomes_recorded],
                {"until": until, "user_id": self.user_id, "token": self.token})
            return
        values = {"locked_by": None, "locked_until": until}
        if outcomes_recorded:
            values["posting"] = None
        connection.execute(
            update(_LOCKS)
            .where(_LOCKS.c.user_id == self.user_id, _LOCKS.c.locked_by == self.token)
            .values(**values))

    def release(self) -> None:
        """Give the user back (a no-op when another worker took them over, or when
        :meth:`give_back` was committed)."""
        if self.released:
            return
        self._roll_back()
        self.give_back()
        self.session.commit()
        self.released = True


#: users one look for due rows hands out (see CandidatePool)
POOL_SIZE = 64
#: due rows a look reads first, in due order (see :func:`due_users`): the rows of 64
#: researchers other threads hold and of 64 more, 100 works each, and then some
LOOK_ROWS = 16384
#: seconds a look's users are handed out before a new look (a retry that fell due, a user
#: queued since, takes its place in due order again)
POOL_FRESH = 1.0
#: seconds before a look that found nobody is repeated: the idle threads a release wakes
#: make one look, not one each; short, so that a retry falling due is seen at once
POOL_EMPTY = 0.02


class CandidatePool:
    """The users one look for due rows found, handed out to the claims of every thread of
    a process (one ``Claimer`` each).

    Claiming is a conditional update of the user's lock row, so a user handed out here
    may be taken by another process meanwhile, or have no due rows left: the claim skips
    or releases it, nothing more. What the pool saves is the look itself: once for 64
    users instead of once per user (with 100 researchers x 100 works, 222 looks took 3.3 s
    of the database's CPU, more than the worker's own, when each read every due row).
    """

    def __init__(self, clock=time.monotonic) -> None:
        self._lock = threading.Lock()
        self._users: collections.deque[str] = collections.deque()
        self._looked = -float("inf")
        self._found = 0
        #: due rows a look reads first: ``LOOK_ROWS``, or what the last look needed
        self.window = LOOK_ROWS
        self._turns: dict[str, float] = {}
        self.clock = clock

    def turn(self, what: str, every: float) -> bool:
        """True for one caller per ``every`` seconds and ``what``: one thread of the process
        does each of the worker's periodic jobs (:func:`~orcid_pyramid.sync.deferred.run_chores`:
        the chores every second, the outbox pruning every hour), not every thread (16 threads
        made 32 rounds of chores, two queries and two commits each, in the one second of a
        first push of 50 researchers)."""
        with self._lock:
            now = self.clock()
            if now - self._turns.get(what, -float("inf")) < every:
                return False
            self._turns[what] = now
            return True

    def take(self, n: int, look) -> list[str]:
        """Up to ``n`` users, from the last look while it is fresh, else from ``look()``."""
        with self._lock:
            age = self.clock() - self._looked
            drained = not self._users and (self._found or age >= POOL_EMPTY)
            if drained or age >= POOL_FRESH:
                found = look()
                self._looked = self.clock()
                self._found = len(found)
                self._users = collections.deque(found)
            return [self._users.popleft() for _ in range(min(n, len(self._users)))]


def due_users(connection, now, window: int = LOOK_ROWS) -> tuple[list, int]:
    """``(user_id, lock row or None)`` of the users with due rows and a lease free at ``now``
    (no lock row, or one not held or lapsed), oldest due first, ``POOL_SIZE`` at most; and the
    window of due rows the next look starts from (the one this look needed when it had to
    widen, else half of it: a window widened for researchers since sent does not stay).

    The due rows are read in due order through the due index, ``window`` of them first: the
    first users met on the way are the ones due the longest. When those rows hold too few
    users with a free lease (the rows of the users other threads hold come first), the look
    reads four times as many, up to every due row. Grouping every due row at each look made
    the database read the whole outbox once a second and once per ``POOL_SIZE``
    researchers: 149-154 ms a look at a million due rows where this takes 9
    (``benchmarks/bench_sync_looks.py``)."""
    free = or_(OrcidSyncLock.user_id.is_(None), OrcidSyncLock.locked_until.is_(None),
               OrcidSyncLock.locked_until < now)
    window = max(LOOK_ROWS, window)
    widened = False
    while True:
        rows = (select(OrcidOutbox.user_id, OrcidOutbox.next_attempt_at)
                .where(OrcidOutbox.done_at.is_(None), OrcidOutbox.next_attempt_at <= now)
                .order_by(OrcidOutbox.done_at, OrcidOutbox.next_attempt_at)
                .limit(window).subquery())
        users = (select(rows.c.user_id,
                        func.max(OrcidSyncLock.user_id).label("lock_row"),
                        func.min(rows.c.next_attempt_at).label("due_at"),
                        func.max(case((free, 1), else_=0)).label("free"),
                        func.sum(func.count()).over().label("seen"))
                 .outerjoin(OrcidSyncLock, OrcidSyncLock.user_id == rows.c.user_id)
                 .group_by(rows.c.user_id).subquery())
        # the free users first; held ones fill up to POOL_SIZE only when fewer are free,
        # so that some row always says how many due rows were read (``seen``)
        rows_read = connection.execute(
            select(users.c.user_id, users.c.lock_row, users.c.free, users.c.seen)
            .order_by(users.c.free.desc(), users.c.due_at).limit(POOL_SIZE)
        ).all()
        found = [(user_id, lock) for user_id, lock, free_now, _ in rows_read if free_now]
        seen = rows_read[0].seen if rows_read else 0
        if len(found) >= POOL_SIZE or seen < window:
            return (found,
                    window if widened else max(LOOK_ROWS, window // 2))
        window *= 4
        widened = True


class Claimer:
    """Takes users with due rows whose lease is free or lapsed, ``batch`` at a time."""

    def __init__(self, worker_id: str, seconds: float, in_flight: float, *,
                 is_postgres: bool, batch: int = 1, pool: CandidatePool | None = None) -> None:
        self.worker_id = worker_id
        self.seconds = float(seconds)
        self.in_flight = float(in_flight)
        self.is_postgres = is_postgres
        self.batch = max(1, int(batch))
        self._claims = itertools.count(1)
        #: due users found but not yet tried, shared by the threads of a process
        self.pool = pool if pool is not None else CandidatePool()

    def _due_users(self, session, now) -> list[str]:
        """Users with due rows and a free lease, oldest due first, ``POOL_SIZE`` at most
        (:func:`due_users`, from the pool's window); their missing lock rows made."""
        found, self.pool.window = due_users(session, now, self.pool.window)
        missing = sorted(user_id for user_id, lock in found if lock is None)
        if missing:
            # in their own short transaction and in one order: concurrent claimers inserting
            # the same new rows wait for each other briefly instead of deadlocking
            self._ensure_lock_rows(session, missing)
        session.commit()
        return [user_id for user_id, _ in found]

    def claim(self, session) -> list[Lease]:
        """Leases of up to ``batch`` users with due rows (oldest due first)."""
        now = utcnow()
        until = now + timedelta(seconds=self.seconds)
        leases: list[Lease] = []
        for _ in range(POOL_SIZE):  # a bound: each round hands out at least one user
            users = self.pool.take(self.batch - len(leases),
                                   lambda: self._due_users(session, now))
            if not users:
                break
            for user_id in users:
                token = f"{self.worker_id}#{next(self._claims)}"
                if self._take(session, user_id, token, now, until):
                    leases.append(Lease(session, user_id, token, self.seconds, self.in_flight))
            session.commit()
            if len(leases) >= self.batch:
                break
        return leases

    def claim_many(self, session, limit: int) -> list[tuple[str, str]]:
        """PostgreSQL: ``(user, token)`` of up to ``limit`` users with due rows, oldest due
        first, claimed in one statement: the first researchers of a ``sync`` run, taken by its
        main thread for its worker threads (each of which made its own claim, one after the
        other, before its first request). A bulk POST's marker found on a lock row is
        recovered as :meth:`claim` does. The caller commits; until then the claims are its
        transaction's (rolled back, nobody is taken)."""
        now = utcnow()
        users = self.pool.take(limit, lambda: self._due_users(session, now))
        if not users:
            return []
        tokens = {user_id: f"{self.worker_id}#{next(self._claims)}" for user_id in users}
        taken = session.connection().exec_driver_sql(
            _CLAIM_MANY_PG, {"users": users, "tokens": [tokens[u] for u in users],
                             "until": now + timedelta(seconds=self.seconds), "now": now}
        ).all()
        for user_id, posting in taken:
            recover_posting(session, user_id, posting)
        claimed = {user_id for user_id, _ in taken}
        return [(user_id, tokens[user_id]) for user_id in users if user_id in claimed]

    def fence_many(self, session, marks: dict[str, tuple[str, str]]) -> tuple[set, float]:
        """PostgreSQL: the fence of :meth:`Lease.fence` for many users at once, ``marks``
        ``{user: (token, bulk POST marker)}``, in one statement of the caller's transaction,
        whose commit it makes durable: (the users whose lease is still that token, when the
        fence began, ``time.monotonic()``), for :meth:`Lease.fenced`."""
        started = time.monotonic()
        users = list(marks)
        kept = session.connection().exec_driver_sql(
            _FENCE_MANY_PG, {"users": users, "tokens": [marks[u][0] for u in users],
                             "postings": [marks[u][1] for u in users],
                             "until": utcnow() + timedelta(seconds=self.seconds
                                                           + self.in_flight)}).all()
        return {user_id for user_id, _ in kept}, started

    def _take(self, session, user_id: str, token: str, now, until) -> bool:
        """Write our token into the user's lock row if it is free: one statement. On
        PostgreSQL a row another transaction is writing (a claim, a fence) is skipped, not
        waited for."""
        if self.is_postgres:
            taken = session.connection().exec_driver_sql(
                _CLAIM_PG, {"token": token, "until": until, "user_id": user_id, "now": now}
            ).first()
        else:
            free = or_(_LOCKS.c.locked_until.is_(None), _LOCKS.c.locked_until < now)
            taken = session.execute(
                update(_LOCKS).where(_LOCKS.c.user_id == user_id, free)
                .values(locked_by=token, locked_until=until).returning(_LOCKS.c.posting)
            ).first()
        if taken is None:
            return False
        recover_posting(session, user_id, taken.posting)
        return True

    def claim_user(self, session, user_id: str) -> Lease | None:
        """The lease of one named user, due rows or not (a queued read of their record), or
        None while another worker holds them. Commits."""
        now = utcnow()
        free = or_(_LOCKS.c.locked_until.is_(None), _LOCKS.c.locked_until < now)
        self._ensure_lock_rows(session, [user_id])
        session.commit()
        token = f"{self.worker_id}#{next(self._claims)}"
        taken = session.execute(
            update(_LOCKS).where(_LOCKS.c.user_id == user_id, free)
            .values(locked_by=token, locked_until=now + timedelta(seconds=self.seconds))
            .returning(_LOCKS.c.posting)
        ).first()
        if taken is not None:
            recover_posting(session, user_id, taken.posting)
        session.commit()
        if taken is None:
            return None
        return Lease(session, user_id, token, self.seconds, self.in_flight)

    def _ensure_lock_rows(self, session, users) -> None:
        if self.is_postgres:
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        session.execute(insert(OrcidSyncLock).values([{"user_id": u} for u in users])
                        .on_conflict_do_nothing())
