"""Per-client token-bucket rate limit, as ORCID applies to the member API
(orcid-facts/rate-limits.md).

ORCID allows a member client 24 requests a second with a burst of 40 and answers 503 beyond
that. The emulator keeps one bucket per client id (or per remote address for anonymous calls).
Written here rather than taken from a library because it is a dozen lines and must share the
emulator's clock and lock.
"""

from __future__ import annotations

import bisect
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class RateSpec:
    """Sustained requests per second and burst size."""

    rate: float
    burst: int

    @classmethod
    def parse(cls, text: str | None) -> RateSpec | None:
        """Parse ``"24/40"`` (rate/burst); None, "", "none" or "off" disable the limit."""
        if text is None:
            return None
        if isinstance(text, RateSpec):
            return text
        value = str(text).strip().lower()
        if value in ("", "none", "off", "0"):
            return None
        rate_text, _, burst_text = value.partition("/")
        try:
            rate = float(rate_text)
            burst = int(burst_text) if burst_text else max(1, int(rate))
        except ValueError:
            raise ValueError(
                f"rate limit {text!r} is not RATE/BURST, e.g. 24/40 (or 'none')"
            ) from None
        if rate <= 0 or burst <= 0:
            raise ValueError(f"rate limit {text!r}: rate and burst must be positive")
        return cls(rate, burst)

    def __str__(self) -> str:
        return f"{self.rate:g}/{self.burst}"


#: the WSGI environ key holding when a request's first byte reached the emulator's server
#: (``time.monotonic()``, set by ``serve.create_server``). ORCID's proxy counts a request
#: against the limit when it arrives; the emulator's application only starts on it when one
#: of the server's threads is free, and a request that waited there behind slow ones would be
#: counted late, bunched with the next, and refused where ORCID accepts it.
ARRIVED = "orcid_emulator.arrived"


#: seconds of accepted requests each bucket remembers: a request that reaches the limiter up
#: to this long after others that arrived later than it is still counted in its arrival order
REORDER_WINDOW = 5.0


class RateLimiter:
    """Token buckets keyed by client; ``allow(key)`` takes one token or says no.

    Counted in the order requests arrived, as ORCID's proxy counts them, whatever the order in
    which the emulator's threads get to them: each bucket keeps the arrival times of the
    requests it accepted over the last :data:`REORDER_WINDOW` seconds, and a request is allowed
    when the bucket, replayed in arrival order with it among them, never falls below one token
    for any of them. (Counting a late-handled request at the time of the last one counted
    lost the refill of the time between them whenever the bucket was full then: 503s that
    ORCID would not have given, seen in a first push whose 40 requests of the burst reached the
    emulator's threads out of order.)
    """

    def __init__(self, spec: RateSpec, clock=time.monotonic) -> None:
        self.spec = spec
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}

    def allow(self, key: str, at: float | None = None) -> bool:
        """Take one token from ``key``'s bucket; False when the bucket is empty. ``at``: when
        the request arrived (the limiter's clock; default now)."""
        now = self._clock()
        arrived = now if at is None else min(at, now)
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(float(self.spec.burst))
            bucket.forget_before(now - REORDER_WINDOW, self.spec)
            return bucket.take(max(arrived, bucket.since), self.spec)

    def reset(self) -> None:
        """Refill every bucket."""
        with self._lock:
            self._buckets.clear()


class _Bucket:
    """One client's bucket: its tokens at ``since``, and the arrivals accepted after it with
    the tokens left after each (so a request in arrival order costs one step, and one that
    came earlier than some replays only those)."""

    def __init__(self, tokens: float) -> None:
        self.tokens = tokens
        self.since = -float("inf")
        self.accepted: list[float] = []  # arrival times, in order
        self.left: list[float] = []  # tokens left after each of them

    def take(self, arrived: float, spec: RateSpec) -> bool:
        index = bisect.bisect_right(self.accepted, arrived)
        tokens, last = (self.left[index - 1], self.accepted[index - 1]) if index \
            else (self.tokens, self.since)
        times = [arrived] + self.accepted[index:]
        left = []
        for moment in times:
            tokens = min(float(spec.burst), tokens + (moment - last) * spec.rate)
            if tokens < 1.0:
                return False
            tokens -= 1.0
            left.append(tokens)
            last = moment
        self.accepted[index:] = times
        self.left[index:] = left
        return True

    def forget_before(self, moment: float, spec: RateSpec) -> None:
        """Fold the arrivals before ``moment`` into the bucket's tokens."""
        drop = bisect.bisect_left(self.accepted, moment)
        if drop:
            self.tokens, self.since = self.left[drop - 1], self.accepted[drop - 1]
            del self.accepted[:drop]
            del self.left[:drop]
