"""A token bucket shared by every worker process and thread, kept in one database row.

Why the database and not a file lock (PostgreSQL): the workers already share the
database (they claim outbox rows there), it works the same across machines, and a single
``UPDATE … RETURNING`` is atomic, so taking a token is one round trip with no lock held
while a request is in flight. ``acquire()`` *reserves*: the token is taken even when the
bucket is empty (the count goes below zero, a queue of callers) and the caller sleeps until
its turn, so a waiting thread never polls the row (polling made a third of the worker's time
database round trips when many threads waited). A file lock would only cover workers on
one host. On SQLite (one worker by design) the bucket lives in the process instead
(:func:`bucket_for`): a web request's open read transaction would otherwise make every
token wait for it.

ORCID allows a member client 24 requests/s with a burst of 40 and answers 503 above that
(orcid-facts/rate-limits.md). The bucket keeps two margins under those numbers:

- ``jitter``: tokens leave the bucket in order but reach ORCID a little later, each by its
  own delay. A delay costs ORCID refill only while ORCID's bucket sits full, which happens
  only while ours is near full too; the reserve (``rate x jitter`` tokens less in our burst:
  one token, 42 ms, at first) covers the delay of a request whose token was taken from a
  (nearly) full bucket, and a token taken from a bucket further below full may be late by
  that much more (:func:`deadline`, with the reasoning). A request takes its token on an
  open connection (TLS done) just before its first byte is written
  (:mod:`orcid_pyramid.client.http`), so neither building the request nor opening a
  connection is inside the delay, and a request later than its token's deadline gets a new
  token, the old one left unused (:meth:`DbTokenBucket.fresh`). On PostgreSQL the row keeps
  the database's clock, read once the row is the taker's, so waiting behind other takers'
  updates of the row (50 threads at once at the start of a first push) neither ages a token
  nor counts refill early.
  Measured on one 2-core machine under full load (PostgreSQL and the emulator beside the
  worker): before the token moved to the first byte, from token to first byte took 0.9 ms
  at the median, 31-37 ms at the 99th percentile and up to 54 ms, and with one token of
  reserve 2 update runs of 9 got a 503. With the token at the first byte and a reserve of
  three tokens (0.125 s), tokens older than 0.25 s were replaced (0-2 per 100 requests),
  and that reserve capped a first push of 50 requests at 0.80 of the bound. A window equal
  to the reserve for every token (25 ms with 1.2 tokens, 0.1 s with three, 42 ms with one)
  replaced up to a quarter of the tokens there and cost the first push a fifth to a half
  of its speed. With the deadline and the database's clock, one token was replaced in 24
  phases of bench_sync_shapes.py (its ``late`` column), and ORCID's bucket kept at least
  0.8 of a token beyond each request (``room``; 0.57 with two processes).
  The reserve is also *learned*: each 503 ORCID answers to a counted call
  widens it by one token (at most once a second, up to ``JITTER_MAX``) and takes one token
  more from the bucket, so ORCID's catches up. A :class:`DbTokenBucket` writes what it
  learned to the database (a second row, ``<name>#reserve``), where every process reads it,
  and forgets it after ``RESERVE_MEMORY`` without a 503; a :class:`LocalTokenBucket`
  (SQLite, one process) keeps it in memory. The reserve delays the last request of a run
  that empties the burst by its size at 24/s: with 50 requests, one token costs 0.08 of the
  best time ORCID allows (three cost 0.20), with 100 requests 0.02.
- ``margin`` on the rate (0.995): clocks of several machines advance at slightly different
  speeds. A long run at the limit gains 0.12 tokens a second of further headroom from it.

Before, both were one ``margin`` of 0.97 (the rate) and 12 % of the burst: the first push of
100 researchers could then reach at best 0.90 of what ORCID's limit allows; now 0.98.

Written by hand (no library offers a cross-process bucket on SQL); about 80 lines.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

log = logging.getLogger("orcid_pyramid.sync")

_REFILLED = (
    "CASE WHEN tokens + (CASE WHEN :now > updated THEN :now - updated ELSE 0 END) * :rate"
    " > :burst THEN :burst"
    " ELSE tokens + (CASE WHEN :now > updated THEN :now - updated ELSE 0 END) * :rate END"
)
_TAKE = text(
    f"UPDATE orcid_rate_buckets SET tokens = ({_REFILLED}) - 1,"
    " updated = CASE WHEN :now > updated THEN :now ELSE updated END"
    f" WHERE name = :name AND ({_REFILLED}) >= 1"
)
_RESERVE = text(
    f"UPDATE orcid_rate_buckets SET tokens = ({_REFILLED}) - :count,"
    " updated = CASE WHEN :now > updated THEN :now ELSE updated END"
    " WHERE name = :name RETURNING tokens"
)
#: PostgreSQL: the same reservation on the database's clock, read when the row is ours (after
#: any wait for another taker's update of it), and how long the statement waited for it
_DB_NOW = "extract(epoch from clock_timestamp())::float8"


def _reserve_pg(condition: str = ""):
    return text(
        f"UPDATE orcid_rate_buckets SET tokens = ({_REFILLED.replace(':now', _DB_NOW)})"
        " - :count,"
        f" updated = CASE WHEN {_DB_NOW} > updated THEN {_DB_NOW} ELSE updated END"
        f" WHERE name = :name{condition}"
        " RETURNING tokens, extract(epoch from clock_timestamp() - statement_timestamp())"
        "::float8"
    )


_RESERVE_PG = _reserve_pg()
#: PostgreSQL: the same, only while the bucket (refilled) holds at most ``:at_most`` tokens
#: (:meth:`DbTokenBucket.sent`)
_RESERVE_AHEAD_PG = _reserve_pg(f" AND ({_REFILLED.replace(':now', _DB_NOW)}) <= :at_most")
_READ = text("SELECT tokens, updated FROM orcid_rate_buckets WHERE name = :name")
_CREATE = text(
    "INSERT INTO orcid_rate_buckets (name, tokens, updated) VALUES (:name, :burst, :now)"
)


#: the rate's margin, and the seconds of delay on the way the burst first leaves room for
#: (one of ORCID's tokens)
MARGIN = 0.995
JITTER = 1 / 24
#: the most the reserve learns from 503s (6 tokens at 24/s), and how long it is remembered
JITTER_MAX = 0.25
RESERVE_MEMORY = 24 * 3600.0
#: a bucket reads the reserve other processes learned this often (seconds)
RESERVE_READ = 30.0
_RESERVE_SUFFIX = "#reserve"
_LEARN = text(
    "UPDATE orcid_rate_buckets SET tokens = CASE WHEN tokens < :jitter OR updated < :forgot"
    " THEN :jitter ELSE tokens END, updated = :now WHERE name = :name"
)


#: ``AHEAD.next = n``: the calling thread's next ``n`` requests follow its current one, each as
#: soon as the answer before it is in (the bulks of one researcher:
#: :mod:`orcid_pyramid.sync.newworks`; a first round takes tokens for up to two of them:
#: :mod:`orcid_pyramid.sync.firstround`). :meth:`DbTokenBucket.sent` then takes the next
#: request's token while the current one is in flight, unless the thread holds one already.
#: Why: a token is a round trip to the database, and a thread back from one waits for the
#: interpreter behind every thread busy with its own answer; ten researchers' bulks,
#: answered together, then left together again 30-45 ms after their answers, round after
#: round (a first push of 10 x 500 works at 0.80-0.86 of the bound). The token is taken
#: some 100 ms before its request leaves: its deadline (:func:`deadline`) allows that while
#: the bucket is below full, which it is while such bulks follow each other; a token too
#: old by then is replaced, as any late one is.
AHEAD = threading.local()


def below(rate: float, burst: float, margin: float = MARGIN,
          jitter: float = JITTER) -> tuple[float, float]:
    """The bucket's own (rate, burst) for ORCID's ``rate``/``burst``: the reserve is
    ``jitter`` seconds of ORCID's tokens (0.125 s: three)."""
    return float(rate) * margin, max(1.0, float(burst) - float(rate) * jitter)


class _ReplacesLateTokens:
    """``fresh``, shared by both buckets (needs ``clock``, ``retaken`` and ``acquire``)."""

    def fresh(self, deadline: float) -> float:
        """Called with :meth:`acquire`'s deadline just before a request's first byte is
        written: a token whose request is later than that (the sleep overran, the thread was
        held) is replaced by a new one, waited for, the old one left unused, so that no
        request reaches ORCID later after its token than the reserve allows (see
        :func:`deadline`). Returns the deadline of the token the request goes with."""
        while self.clock() > deadline:
            self.retaken += 1  # a figure for the summary: a lost increment is harmless
            deadline = self.acquire()
        return deadline


def deadline(taken: float, left: float, burst: float, rate: float, window: float) -> float:
    """The latest a request may leave with the token taken at ``taken`` (which left ``left``
    tokens in a bucket of ``burst`` at ``rate``): ``window`` (the reserve, in seconds) plus
    the refill the bucket lacked, when the token was taken, to be full.

    Why the second term: our bucket counts a token when it is taken, ORCID when the request
    arrives. A late request costs ORCID refill only while ORCID's bucket is full and so
    wastes it. In the bucket's schedule (its "theoretical arrival time"), ORCID's can run
    ahead of ours by no more than the largest ``lateness - debt`` over the tokens, where
    ``debt`` is how far below full the bucket stood when the token was taken (in seconds of
    refill): the schedule of a bucket that was not full already lay beyond the token by that
    much. So the first token taken from a full bucket may be late by the reserve alone; one
    taken deep into a burst, or waiting in the queue at the rate, by that much more (a token
    taken when the bucket still held 10 of 39 by over a second). Replacing every token older
    than the reserve (one token, 42 ms) replaced 9 to 24 of every 100 requests in the first
    push and the updates of 50 and 100 researchers on a 2-core machine and cost the first
    push a fifth of its speed; this rule replaces only those that matter."""
    return taken + window + max(0.0, burst - 1.0 - left) / rate


class DbTokenBucket(_ReplacesLateTokens):
    """``acquire()`` blocks until a token is free in the shared bucket ``name``.

    ``rate`` tokens per second refill up to ``burst``; ``rate`` is scaled by ``margin`` and
    ``burst`` lowered by ``rate x jitter`` tokens, a reserve that 503s widen (see the
    module's docstring).
    """

    def __init__(self, engine, rate: float, burst: float, name: str = "orcid-api",
                 margin: float = MARGIN, jitter: float = JITTER, clock=time.time,
                 sleep=time.sleep, window: float | None = None) -> None:
        self.engine = engine
        # the reservation is one statement: in autocommit it is one round trip, not three
        # (BEGIN, UPDATE, COMMIT) for every request sent
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._pg = engine.dialect.name == "postgresql"
        self.name = name
        self._orcid = (float(rate), float(burst), margin)
        self.base_jitter = self.jitter = jitter
        self.rate, self.burst = below(rate, burst, margin, jitter)
        self.clock = clock
        self.sleep = sleep
        self.waited = 0.0  # total seconds spent waiting (for the summary)
        self._window = window
        self.retaken = 0  # tokens replaced because their request left too late
        self._read_at: float | None = None  # when the learned reserve was last read
        self._widened = float("-inf")
        self._ahead = threading.local()  # a thread's tokens taken ahead (keep_ahead())
        self._answer_took = 0.0  # from a request's leaving to its thread's next token

    @property
    def window(self) -> float:
        """How late a request may leave with a token taken from a full bucket: the reserve
        the bucket keeps now (seconds), unless set (:func:`deadline`)."""
        return self.jitter if self._window is None else self._window

    def _use(self, jitter: float) -> None:
        self.jitter = min(JITTER_MAX, max(self.base_jitter, jitter))
        self.rate, self.burst = below(*self._orcid, self.jitter)

    def _read_reserve(self, now: float) -> None:
        """Take up the reserve a 503 taught any process in the last ``RESERVE_MEMORY``."""
        self._read_at = now
        with self._autocommit.connect() as conn:
            row = conn.execute(_READ, {"name": self.name + _RESERVE_SUFFIX}).first()
        learned = row[0] if row is not None and row[1] >= now - RESERVE_MEMORY else 0.0
        self._use(max(self.jitter if now - self._widened < RESERVE_READ else 0.0, learned))

    def missed(self) -> None:
        """ORCID answered a counted call with 503: widen the reserve by one token (at most
        once a second, for every process on the database) and take one token more, so that
        ORCID's bucket catches up with ours."""
        now = self.clock()
        if now - self._widened < 1.0:
            return
        self._widened = now
        self._use(self.jitter + 1.0 / self._orcid[0])
        params = {"name": self.name + _RESERVE_SUFFIX, "jitter": self.jitter, "now": now,
                  "forgot": now - RESERVE_MEMORY}
        try:
            with self._autocommit.connect() as conn:
                if conn.execute(_LEARN, params).rowcount == 0:
                    try:
                        conn.execute(_CREATE, {"name": params["name"], "burst": self.jitter,
                                               "now": now})
                    except IntegrityError:
                        conn.execute(_LEARN, params)  # another process wrote it first
                self._reserve(conn, now)
        except SQLAlchemyError as exc:
            # the caller is answering ORCID's 503 (a web request, a worker): this process
            # keeps the wider reserve; the others learn it from their own 503s
            log.warning("could not record the rate bucket's wider reserve (%s)",
                        type(exc).__name__)

    def _reserve(self, conn, now: float, count: int = 1) -> tuple[float | None, float]:
        """Reserve ``count`` tokens on ``conn``: (tokens left, None when the row is missing;
        the seconds the statement waited in the database, 0 off PostgreSQL)."""
        if not self._pg:
            return conn.execute(_RESERVE, {**self._params(now), "count": count}).scalar(), 0.0
        row = conn.execute(_RESERVE_PG, {"name": self.name, "rate": self.rate,
                                         "burst": self.burst, "count": count}).first()
        return (None, 0.0) if row is None else (row[0], row[1])

    def _params(self, now: float) -> dict:
        return {"name": self.name, "now": now, "rate": self.rate, "burst": self.burst}

    def try_acquire(self) -> float:
        """Take a token now and return 0, or return how long to wait before trying again."""
        now = self.clock()
        with self.engine.begin() as conn:
            if conn.execute(_TAKE, self._params(now)).rowcount == 1:
                return 0.0
            row = conn.execute(_READ, {"name": self.name}).first()
        if row is None:
            try:
                with self.engine.begin() as conn:
                    conn.execute(_CREATE, self._params(now))
            except IntegrityError:
                pass  # another worker created it first
            return 0.001
        tokens, updated = row
        available = min(self.burst, tokens + max(0.0, now - updated) * self.rate)
        return max(0.001, (1.0 - available) / self.rate)

    def prepare(self) -> None:
        """Create the bucket's row if it is missing and read the learned reserve, before
        threads start taking tokens (``orcid-pyramid sync``): the first token of each thread
        is then one statement, where each one found the row missing on a new database and
        the threads of a first push queued behind each other's attempts to create it,
        before their first requests. The row stays created by the first taker otherwise."""
        now = self.clock()
        try:
            with self._autocommit.connect() as conn:
                if conn.execute(_READ, {"name": self.name}).first() is None:
                    conn.execute(_CREATE, self._params(now))
        except IntegrityError:
            pass  # another process created it first
        self._read_reserve(now)

    def acquire(self) -> float:
        """Take a token, waiting for its turn: one round trip, then at most one sleep.
        Returns the token's deadline (:func:`deadline`, this process's clock), for
        :meth:`fresh`.

        PostgreSQL: the row keeps the database's clock, read once the row is this taker's,
        so a wait behind other takers' updates of the row is neither refill counted early
        nor age counted against the token (under full load that wait was most of a token's
        age). The token's time here is when the statement began plus how long it waited
        in the database: never later than the row's change, so an age measured from it is
        never too short. A reservation ahead sleeps its turn from the answer's arrival,
        after the row's change, so it never leaves before its turn."""
        sent = getattr(self._ahead, "sent_at", None)
        if sent is not None:  # how long the answer before took: for sent()'s next choice
            self._ahead.sent_at = None
            self._answer_took = self.clock() - sent
        kept = self._kept()
        now = self.clock()
        while kept:  # taken ahead for this thread (sent(), a first round), oldest first
            ready, ends = kept.pop(0)
            if now <= ends:
                break
            self.retaken += 1  # too old to go: left unused, as fresh() would
        else:
            ends, wait = self.acquire_many(1)[0]
            now = self.clock()
            ready = now + wait  # its turn counted from the answer's arrival
        if ready > now:  # reserved ahead: our turn comes when the refill covers it
            self.waited += ready - now
            self.sleep(ready - now)
        return ends

    __call__ = acquire

    def sent(self) -> None:
        """Called once a rate-limited request has left, while its answer is awaited
        (:mod:`orcid_pyramid.client.http`): when this thread said its next request follows
        the answer at once (:data:`AHEAD`), that request's token is taken now, if the bucket
        is far enough below full for the token to still be good when the answer is in (as
        long as the last answer took: :func:`deadline`). See :data:`AHEAD`."""
        if not getattr(AHEAD, "next", 0):
            return
        AHEAD.next = 0
        self._ahead.sent_at = self.clock()
        if not self._pg or self._kept():
            return
        needed = 1.25 * self._answer_took + 0.01 - self.window  # delay beyond the reserve's
        params = {"name": self.name, "rate": self.rate, "burst": self.burst, "count": 1,
                  "at_most": self.burst - max(0.0, needed) * self.rate}
        with self._autocommit.connect() as conn:
            row = conn.execute(_RESERVE_AHEAD_PG, params).first()
        if row is None:
            return  # the bucket is too full: the token is taken when the request goes
        left, lag = row
        ends = deadline(self._ahead.sent_at + max(0.0, lag), left, self.burst, self.rate,
                        self.window)
        # (its turn counted from the answer's arrival, after the row's change: acquire())
        self.keep_ahead(ends, self.clock() + max(0.0, -left / self.rate))

    def keep_ahead(self, ends: float, ready: float) -> None:
        """Keep a token taken for this thread's coming request (deadline ``ends``, not to
        leave before ``ready``, this bucket's clock): :meth:`acquire` hands it out first."""
        self._kept().append((ready, ends))

    def _kept(self) -> list:
        """The tokens kept for this thread (:meth:`keep_ahead`), oldest first."""
        kept = getattr(self._ahead, "tokens", None)
        if kept is None:
            kept = self._ahead.tokens = []
        return kept

    def acquire_many(self, count: int) -> list[tuple[float, float]]:
        """Reserve ``count`` tokens in one statement, for as many requests that leave
        together (:class:`~orcid_pyramid.sync.firstround.FirstRound`), without waiting:
        each one's ``(deadline, seconds to wait before it may leave)``, in the order they
        were taken (:meth:`acquire` for one)."""
        while True:
            now = self.clock()
            if self._read_at is None or now - self._read_at >= RESERVE_READ:
                self._read_reserve(now)
            with self._autocommit.connect() as conn:
                left, lag = self._reserve(conn, now, count)
            if left is not None:
                break
            self.prepare()
        taken = []
        for index in range(count):
            mine = left + (count - 1 - index)  # what the bucket held after this one
            taken.append((deadline(now + max(0.0, lag), mine, self.burst, self.rate,
                                   self.window), max(0.0, -mine / self.rate)))
        return taken


class LocalTokenBucket(_ReplacesLateTokens):
    """The same bucket in memory, for one process (threads share it).

    ``least_burst``: how far 503s may lower the burst (the reserve learned in memory; by
    default not at all, a 503 then only takes one token more).
    """

    def __init__(self, rate: float, burst: float, clock=time.monotonic, sleep=time.sleep,
                 *, least_burst: float | None = None, window: float = JITTER) -> None:
        self.rate = float(rate)
        self.burst = float(burst)
        self.least_burst = self.burst if least_burst is None else float(least_burst)
        self.tokens = float(burst)
        self.updated = clock()
        self.clock = clock
        self.sleep = sleep
        self.waited = 0.0
        self.window = window
        self.retaken = 0
        self._widened = float("-inf")
        self._lock = threading.Lock()

    def prepare(self) -> None:
        """Nothing to prepare: the bucket lives in this process (see
        :meth:`DbTokenBucket.prepare`)."""

    def missed(self) -> None:
        """ORCID answered a counted call with 503: one token more of reserve (at most once a
        second, down to ``least_burst``) and one token taken, so that ORCID's bucket catches
        up with ours."""
        with self._lock:
            now = self.clock()
            if now - self._widened < 1.0:
                return
            self._widened = now
            before, self.burst = self.burst, max(self.least_burst, self.burst - 1.0)
            self.window += (before - self.burst) / self.rate  # the reserve, in seconds
            self.tokens = min(self.burst, self.tokens) - 1.0

    def _try(self) -> tuple[float, float]:
        """(0, the token's deadline) when a token was taken now, else (how long to wait,
        the time)."""
        with self._lock:
            now = self.clock()
            self.tokens = min(self.burst, self.tokens + max(0.0, now - self.updated) * self.rate)
            self.updated = now
            if self.tokens >= 1 - 1e-9:  # float refill may land a hair under one token
                self.tokens = max(0.0, self.tokens - 1)
                return 0.0, deadline(now, self.tokens, self.burst, self.rate, self.window)
            return max(0.0005, (1.0 - self.tokens) / self.rate), now

    def try_acquire(self) -> float:
        """Take a token now and return 0, or return how long to wait."""
        return self._try()[0]

    def acquire(self) -> float:
        """Block until a token is taken; returns its deadline (:func:`deadline`)."""
        while True:
            wait, now = self._try()
            if wait <= 0:
                return now
            self.waited += wait
            self.sleep(wait)

    __call__ = acquire


_LOCAL_BUCKETS: dict[tuple, LocalTokenBucket] = {}
_LOCAL_LOCK = threading.Lock()


def bucket_for(engine, rate: float, burst: float, margin: float = MARGIN,
               jitter: float = JITTER):
    """The limiter for workers and requests on ``engine``.

    PostgreSQL: the shared :class:`DbTokenBucket` (any number of processes). SQLite: one
    in-process bucket per database, because SQLite runs a single worker and a reader's lock
    (a web request in its transaction) would make the bucket's row updates wait.
    """
    if engine.dialect.name != "sqlite":
        return DbTokenBucket(engine, rate, burst, margin=margin, jitter=jitter)
    key = (str(engine.url), float(rate), float(burst))
    with _LOCAL_LOCK:
        bucket = _LOCAL_BUCKETS.get(key)
        if bucket is None:
            bucket = LocalTokenBucket(
                *below(rate, burst, margin, jitter), window=jitter,
                least_burst=below(rate, burst, margin, max(jitter, JITTER_MAX))[1])
            _LOCAL_BUCKETS[key] = bucket
        return bucket
