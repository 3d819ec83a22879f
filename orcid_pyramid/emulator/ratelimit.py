"""Per-client token-bucket rate limit, as ORCID applies to the member API
(orcid-facts/rate-limits.md).

ORCID allows a member client 24 requests a second with a burst of 40 and answers 503 beyond
that. The emulator keeps one bucket per client id (or per remote address for anonymous calls).
Written here rather than taken from a library because it is a dozen lines and must share the
emulator's clock and lock.
"""

from __future__ import annotations

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


class RateLimiter:
    """Token buckets keyed by client; ``allow(key)`` takes one token or says no."""

    def __init__(self, spec: RateSpec, clock=time.monotonic) -> None:
        self.spec = spec
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, key: str, at: float | None = None) -> bool:
        """Take one token from ``key``'s bucket; False when the bucket is empty. ``at``: when
        the request arrived (the limiter's clock; default now)."""
        now = self._clock() if at is None else min(at, self._clock())
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.spec.burst), now))
            # a request that arrived just before the one counted last is counted with it
            # (the threads start on requests in about the order they came)
            now = max(now, last)
            tokens = min(float(self.spec.burst), tokens + (now - last) * self.spec.rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return False
            self._buckets[key] = (tokens - 1.0, now)
            return True

    def reset(self) -> None:
        """Refill every bucket."""
        with self._lock:
            self._buckets.clear()
