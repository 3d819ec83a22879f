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
  own delay. Only a delay that lets ORCID's bucket sit full while ours already counts the
  token can make ORCID see more than its bucket holds: if no delay exceeds ``jitter``
  seconds, what ORCID sees fits its bucket when ours is smaller by ``rate x jitter`` tokens
  (the reserve: 0.125 s, three of ORCID's tokens). The delay is kept short and bounded. A
  request takes its token on an open connection (TLS done) just before its first byte is
  written (:mod:`orcid_pyramid.client.http`), so neither building the request nor opening a
  connection, which to ORCID costs round trips, is inside it; and a token found older than
  ``WINDOW`` at that point (the bucket's round trip or sleep overran, another thread held
  the interpreter) is replaced by a new one, the old one left unused
  (:meth:`DbTokenBucket.fresh`). Before, the token came first: measured on one 2-core
  machine under full load (updates at the limit from 50 threads, PostgreSQL and the emulator
  beside them), from the token to the request's first byte on the socket 0.9 ms at the
  median, 31-37 ms at the 99th percentile and up to 54 ms; with one token of reserve, 2
  update runs of 9 at 50-100 researchers got a 503; and a slow handshake was not bounded at
  all. A window of 25 ms with a reserve of 1.2 tokens was tried: under that load the
  bucket's own round trip (50 threads updating one row) often took longer, so tokens were
  replaced again and again, and the first push of 50 researchers fell from 0.69 of the
  bound to 0.38. Even 0.1 s was too short there: 100 researchers' first push fell from
  0.92-0.93 to 0.76-0.85 (0.95 with no window at all). At 0.25 s (``JITTER_MAX``: beyond
  it no reserve this bucket keeps covers the request) 0-2 tokens of 100 are replaced and
  the share is that of no window (bench_sync_shapes.py's ``late`` column).
  The reserve is also *learned*: each 503 ORCID answers to a counted call
  widens it by one token (at most once a second, up to ``JITTER_MAX``) and takes one token
  more from the bucket, so ORCID's catches up. A :class:`DbTokenBucket` writes what it
  learned to the database (a second row, ``<name>#reserve``), where every process reads it,
  and forgets it after ``RESERVE_MEMORY`` without a 503; a :class:`LocalTokenBucket`
  (SQLite, one process) keeps it in memory. The reserve delays the last request of a run
  that empties the burst by its size at 24/s: with 50 requests, three tokens cost 0.20 of
  the best time ORCID allows, with 100 requests 0.05.
- ``margin`` on the rate (0.995): clocks of several machines advance at slightly different
  speeds. A long run at the limit gains 0.12 tokens a second of further headroom from it.

Before, both were one ``margin`` of 0.97 (the rate) and 12 % of the burst: the first push of
100 researchers could then reach at best 0.90 of what ORCID's limit allows; now 0.95.

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
    f"UPDATE orcid_rate_buckets SET tokens = ({_REFILLED}) - 1,"
    " updated = CASE WHEN :now > updated THEN :now ELSE updated END"
    " WHERE name = :name RETURNING tokens"
)
_READ = text("SELECT tokens, updated FROM orcid_rate_buckets WHERE name = :name")
_CREATE = text(
    "INSERT INTO orcid_rate_buckets (name, tokens, updated) VALUES (:name, :burst, :now)"
)


#: the rate's margin, and the seconds of delay on the way the burst first leaves room for
MARGIN = 0.995
JITTER = 0.125
#: the most the reserve learns from 503s (6 tokens at 24/s), and how long it is remembered
JITTER_MAX = 0.25
#: a token older than this when its request's first byte is about to leave is replaced
#: (seconds; the token is taken just before, so only a stall between the two ages it):
#: beyond the widest reserve, nothing else covers the request
WINDOW = JITTER_MAX
RESERVE_MEMORY = 24 * 3600.0
#: a bucket reads the reserve other processes learned this often (seconds)
RESERVE_READ = 30.0
_RESERVE_SUFFIX = "#reserve"
_LEARN = text(
    "UPDATE orcid_rate_buckets SET tokens = CASE WHEN tokens < :jitter OR updated < :forgot"
    " THEN :jitter ELSE tokens END, updated = :now WHERE name = :name"
)


def below(rate: float, burst: float, margin: float = MARGIN,
          jitter: float = JITTER) -> tuple[float, float]:
    """The bucket's own (rate, burst) for ORCID's ``rate``/``burst``: the reserve is
    ``jitter`` seconds of ORCID's tokens (0.125 s: three)."""
    return float(rate) * margin, max(1.0, float(burst) - float(rate) * jitter)


class _ReplacesLateTokens:
    """``fresh``, shared by both buckets (needs ``clock``, ``window``, ``retaken`` and
    ``acquire``)."""

    def fresh(self, taken: float) -> float:
        """Called with :meth:`acquire`'s time just before a request's first byte is written:
        a token taken more than ``window`` seconds ago (the sleep overran, the thread was
        held) is replaced by a new one, waited for, the old one left unused, so that no
        request reaches ORCID later after its token than the reserve allows. Returns the
        time of the token the request goes with."""
        while self.clock() - taken > self.window:
            self.retaken += 1  # a figure for the summary: a lost increment is harmless
            taken = self.acquire()
        return taken


class DbTokenBucket(_ReplacesLateTokens):
    """``acquire()`` blocks until a token is free in the shared bucket ``name``.

    ``rate`` tokens per second refill up to ``burst``; ``rate`` is scaled by ``margin`` and
    ``burst`` lowered by ``rate x jitter`` tokens, a reserve that 503s widen (see the
    module's docstring).
    """

    def __init__(self, engine, rate: float, burst: float, name: str = "orcid-api",
                 margin: float = MARGIN, jitter: float = JITTER, clock=time.time,
                 sleep=time.sleep, window: float = WINDOW) -> None:
        self.engine = engine
        # the reservation is one statement: in autocommit it is one round trip, not three
        # (BEGIN, UPDATE, COMMIT) for every request sent
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.name = name
        self._orcid = (float(rate), float(burst), margin)
        self.base_jitter = self.jitter = jitter
        self.rate, self.burst = below(rate, burst, margin, jitter)
        self.clock = clock
        self.sleep = sleep
        self.waited = 0.0  # total seconds spent waiting (for the summary)
        self.window = window
        self.retaken = 0  # tokens replaced because their request left too late
        self._read_at: float | None = None  # when the learned reserve was last read
        self._widened = float("-inf")

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
                conn.execute(_RESERVE, self._params(now))
        except SQLAlchemyError as exc:
            # the caller is answering ORCID's 503 (a web request, a worker): this process
            # keeps the wider reserve; the others learn it from their own 503s
            log.warning("could not record the rate bucket's wider reserve (%s)",
                        type(exc).__name__)

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

    def acquire(self) -> float:
        """Take a token, waiting for its turn: one round trip, then at most one sleep.
        Returns the token's time (this bucket's clock), for :meth:`fresh`."""
        while True:
            now = self.clock()
            if self._read_at is None or now - self._read_at >= RESERVE_READ:
                self._read_reserve(now)
            with self._autocommit.connect() as conn:
                left = conn.execute(_RESERVE, self._params(now)).scalar()
            if left is not None:
                break
            self.try_acquire()  # creates the missing row
        if left < 0:  # reserved ahead: our turn comes when the refill covers it
            wait = -left / self.rate
            self.waited += wait
            self.sleep(wait)
            return now + wait
        return now

    __call__ = acquire


class LocalTokenBucket(_ReplacesLateTokens):
    """The same bucket in memory, for one process (threads share it).

    ``least_burst``: how far 503s may lower the burst (the reserve learned in memory; by
    default not at all, a 503 then only takes one token more).
    """

    def __init__(self, rate: float, burst: float, clock=time.monotonic, sleep=time.sleep,
                 *, least_burst: float | None = None, window: float = WINDOW) -> None:
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

    def missed(self) -> None:
        """ORCID answered a counted call with 503: one token more of reserve (at most once a
        second, down to ``least_burst``) and one token taken, so that ORCID's bucket catches
        up with ours."""
        with self._lock:
            now = self.clock()
            if now - self._widened < 1.0:
                return
            self._widened = now
            self.burst = max(self.least_burst, self.burst - 1.0)
            self.tokens = min(self.burst, self.tokens) - 1.0

    def _try(self) -> tuple[float, float]:
        """(0, the time) when a token was taken now, else (how long to wait, the time)."""
        with self._lock:
            now = self.clock()
            self.tokens = min(self.burst, self.tokens + max(0.0, now - self.updated) * self.rate)
            self.updated = now
            if self.tokens >= 1 - 1e-9:  # float refill may land a hair under one token
                self.tokens = max(0.0, self.tokens - 1)
                return 0.0, now
            return max(0.0005, (1.0 - self.tokens) / self.rate), now

    def try_acquire(self) -> float:
        """Take a token now and return 0, or return how long to wait."""
        return self._try()[0]

    def acquire(self) -> float:
        """Block until a token is taken; returns its time (this bucket's clock)."""
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
                *below(rate, burst, margin, jitter),
                least_burst=below(rate, burst, margin, max(jitter, JITTER_MAX))[1])
            _LOCAL_BUCKETS[key] = bucket
        return bucket
