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


class RateLimiter:
    """Token buckets keyed by client; ``allow(key)`` takes one token or says no."""

    def __init__(self, spec: RateSpec, clock=time.monotonic) -> None:
        self.spec = spec
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, key: str) -> bool:
        """Take one token from ``key``'s bucket; False when the bucket is empty."""
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.spec.burst), now))
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
