"""The first requests of a ``sync`` run leave together, one per thread (PostgreSQL).

``orcid-pyramid sync`` takes its first researchers together (:meth:`Worker.take_first
<orcid_pyramid.sync.worker.Worker.take_first>`) and starts a thread for each. The threads
then started one after the other on one interpreter: each ran until its first request was on
its way (its worker, its session, the bulk's body, the connection, a token from the shared
bucket's row, some 2-4 ms of CPU under load) before the next one got going. Ten researchers'
first bulks reached ORCID over 35-50 ms, and a first push of ten researchers, whose bound is
one request's latency, reached 0.65-0.71 of it; the token statements on the bucket's one row
queued behind each other too.

Here each of those threads makes its first request ready, up to its first byte (the
connection open, the token taken there: :mod:`orcid_pyramid.client.http`), and waits for the
others; when the last one is ready, or :data:`WAIT_AT_MOST` after the first one was, their
tokens are taken in one statement (:meth:`~orcid_pyramid.sync.ratelimit.DbTokenBucket.
acquire_many`) and they all write. Nothing is sent sooner or more often than before: the
same tokens, from the same bucket, each with its deadline; a thread whose first researcher
needs no request, or that comes when the round has left, takes its own token as before. The
round holds at most as many threads as the bucket's burst: requests beyond it would wait
for tokens anyway. A thread whose researcher has more bulks to follow (:data:`~orcid_pyramid.
sync.ratelimit.AHEAD`) gets the tokens of the next two from the same statement, where it took
each in one of its own as the bulk before it left: the second's as the first requests left
(the threads' statements on the bucket's row and their returns to the interpreter spread the
first requests over 10-13 ms), the third's among the others' first answers, which come back
together (10 x 500 works: 0.893-0.922 with one token, 0.916-0.921 with two, 20 alternating
runs each).

Measured (``benchmarks/bench_sync_shapes.py --repeat 3``, 100 ms a request, a 2-core machine):
a first push of 10 researchers x 100 works at 0.95-0.99 of the bound, where a client that costs
nothing reached 0.95-0.97 and this code's parent 0.65-0.71 the same day; 50 x 100 at 0.92-0.93
(the worker's own bucket allows 0.92).
"""

from __future__ import annotations

import threading
import time

from .ratelimit import AHEAD

#: the longest the first thread ready waits for the others (seconds)
WAIT_AT_MOST = 0.1
#: the most tokens of a researcher's following bulks a thread takes with the round's: the
#: second bulks leave together again once the first answers are in, and each thread took the
#: third bulk's token in a statement of its own there, among the others' answers
SPARES = 2


class FirstRound:
    """The first requests of ``size`` threads, each from its own :meth:`limiter`, released
    together through ``bucket`` (a :class:`~orcid_pyramid.sync.ratelimit.DbTokenBucket`)."""

    def __init__(self, bucket, size: int, *, wait_at_most: float = WAIT_AT_MOST,
                 clock=time.monotonic) -> None:
        self.bucket = bucket
        self.size = max(0, min(int(size), int(bucket.burst)))
        self.wait_at_most = wait_at_most
        self.clock = clock
        self._cond = threading.Condition()
        self._ready = 0  # threads waiting to write
        self._gone = 0  # threads whose first researcher needed no request
        self._open = self.size < 2  # one thread alone has nobody to wait for
        self._first_ready: float | None = None
        self._wanting: list[int] = []  # how many next tokens each ready thread wants
        self._tokens: list | None = None  # each ready thread's tokens, once open
        self.released = 0  # requests that left together

    def limiter(self) -> RoundLimiter:
        """A limiter for one thread: its first token comes with the round's."""
        return RoundLimiter(self)

    def _join(self, following: int) -> list | None:
        """Wait with the others; this thread's tokens as ``(deadline, ready at)``: its first
        request's, and those of up to :data:`SPARES` requests that follow it (``following``:
        see :data:`~orcid_pyramid.sync.ratelimit.AHEAD`). None when the round has left (or
        could not take its tokens): then the thread takes its own."""
        with self._cond:
            if self._open:
                return None
            mine = self._ready
            self._ready += 1
            self._wanting.append(max(0, min(SPARES, int(following))))
            if self._first_ready is None:
                self._first_ready = self.clock()
            ends = self._first_ready + self.wait_at_most
            while not self._open:
                if self._ready + self._gone >= self.size or self.clock() >= ends:
                    self._release()
                    break
                self._cond.wait(max(0.0, ends - self.clock()))
            return None if self._tokens is None else self._tokens[mine]

    def _leave(self) -> None:
        """A thread's first researcher is done without a request: nobody waits for it."""
        with self._cond:
            self._gone += 1
            if not self._open and self._ready and self._ready + self._gone >= self.size:
                self._release()

    def _release(self) -> None:
        """(Holding the lock) take the ready threads' tokens in one statement, with the
        tokens of the next requests of those that want them after them (the bulks that
        follow a researcher's first: :data:`~orcid_pyramid.sync.ratelimit.AHEAD`, which
        otherwise each took in a statement of its own as its first request left), and let
        them go. A database error: each takes its own (and meets the error there)."""
        self._open = True
        ready = self._ready
        try:
            taken = self.bucket.acquire_many(ready + sum(self._wanting))
            now = self.bucket.clock()
            taken = [(ends, now + wait) for ends, wait in taken]
            spares = iter(taken[ready:])
            self._tokens = [[token, *(next(spares) for _ in range(wants))]
                            for token, wants in zip(taken[:ready], self._wanting, strict=True)]
            self.released = ready
        except Exception:  # noqa: BLE001 - the threads' own acquire reports it
            self._tokens = None
        self._cond.notify_all()


class RoundLimiter:
    """One thread's limiter: the first token from its :class:`FirstRound`, the others from
    the shared bucket, which answers everything else (``fresh``, ``missed``, figures)."""

    def __init__(self, round_: FirstRound) -> None:
        self._round = round_
        self._first = True

    def acquire(self) -> float:
        if self._first:
            self._first = False
            for token in self._round._join(getattr(AHEAD, "next", 0)) or ():
                self._round.bucket.keep_ahead(*token)  # handed out, in order, by acquire()
        return self._round.bucket.acquire()

    __call__ = acquire

    def leave(self) -> None:
        """This thread's first researcher is done: if it made no request, the round does not
        wait for it."""
        if self._first:
            self._first = False
            self._round._leave()

    def __getattr__(self, name: str):
        return getattr(self._round.bucket, name)
