"""How many of the ``sync`` command's threads are waiting for ORCID: when every one is, the
command starts one more (``orcid_pyramid.cli.sync``).

A thread sends for one researcher at a time, and while its request is on its way it does
nothing. How many threads keep ORCID's limit busy depends on how long a request takes: at
100 ms a request, about as many as the worker can prepare researchers in 100 ms (some ten on
a 2-core machine); at 1 s, the 24 a second ORCID allows, and more for its burst. One thread
per researcher up to 64, as before, served a slow ORCID but cost a fast one: in a first push
of 50 researchers x 100 works at 100 ms, 50 threads used 25-36 ms of the worker's CPU per
researcher where 16 used 14-19 ms (the start-up's 1.25 s left out; the process switched
away voluntarily 14,000-15,000 times against 4,800-6,800), and PostgreSQL 0.94-0.99 s of
CPU against 0.70-0.72 s. Growing from 10, the same push took 19-20 threads.

So the command starts a few threads, and one more each time a request leaves while every
running thread has one in flight: the threads grow to what the latency asks, and no further
while one of them is preparing, waiting for a database connection or for a rate token (none
of which another thread would make faster).

:class:`InFlight` wraps the process's rate bucket: every rate-limited request takes its token
through ``acquire()`` just before its first byte (``orcid_pyramid.client.http``) and says
``answered()`` when it has its answer or has failed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class InFlight:
    """The process's rate bucket, counting the requests that took a token and have no
    answer yet; ``wanted()`` is called (once until :meth:`started` is) when a request leaves
    while every running thread has one in flight."""

    def __init__(self, bucket, wanted: Callable[[], None]) -> None:
        self._bucket = bucket
        self._wanted = wanted
        self._lock = threading.Lock()
        self.in_flight = 0
        self.threads = 0
        self._asked = False
        #: the most requests in flight at once (for the summary)
        self.most = 0

    def __getattr__(self, name):
        return getattr(self._bucket, name)  # fresh, missed, waited, retaken, prepare ...

    def acquire(self):
        """The bucket's token; the request leaves now."""
        token = self._bucket.acquire()
        with self._lock:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
            ask = not self._asked and self.in_flight >= self.threads
            if ask:
                self._asked = True
        if ask:
            self._wanted()
        return token

    def answered(self) -> None:
        """A request that took a token has its answer (or failed)."""
        with self._lock:
            self.in_flight -= 1

    def started(self, threads: int) -> None:
        """``threads`` are running now (after a start or an end): a new ask may come."""
        with self._lock:
            self.threads = threads
            self._asked = False
