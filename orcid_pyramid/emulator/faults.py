"""Injected failures and latency (issue "A local ORCID sandbox", item 6).

Kinds: ``500``, ``502``, ``503`` (an ORCID-style error response), ``timeout`` (hold the request
``timeout_seconds``, default 3, longer than the client waits, then answer 504), ``reset``
(drop the connection without a response), ``truncated`` (promise more bytes than are sent)
and ``malformed`` (200 with a body that is not JSON). A seeded ``random.Random`` picks
whether and which fault hits each request,
so a run repeats exactly. Faults apply to API, token and revoke paths, never to ``/_emulator/``.

Configured at start with ``RATE:KINDS[:SEED[:TIMEOUT_SECONDS]]`` (``--faults``, e.g.
``0.2:timeout,500:7:1.5``) and at run time with ``PUT /_emulator/faults`` ``{rate, kinds, seed,
timeout_seconds}`` (``timeout_s`` is accepted as an older spelling).

How ``reset`` works: under waitress the app reaches the connection's socket through the
``waitress.client_disconnected`` callable (a bound method of the channel) and shuts it down,
so the client sees "connection aborted / remote end closed connection without response". In
process (no socket) it raises ``EmulatedConnectionReset`` (a ``ConnectionResetError``).
"""

from __future__ import annotations

import random
import socket
import threading
import time
from dataclasses import dataclass, field

KINDS = ("500", "502", "503", "timeout", "reset", "truncated", "malformed")


class EmulatedConnectionReset(ConnectionResetError):
    """Raised in process for the ``reset`` fault when there is no socket to drop."""


#: the WSGI environ key of the server's ``hold(moment)`` (:mod:`.serve`): the answer the call
#: writes leaves its connection no earlier than ``moment`` (``time.monotonic()``), and the
#: server's thread is free meanwhile. A sleeping thread per call in its latency let only as
#: many calls as the server has threads be in their latency at once: with 16 threads and 1 s,
#: the 50 bulks of a first push were answered in waves, up to 1.4 s after they arrived.
HOLD_ANSWER = "orcid_emulator.hold_answer"


@dataclass
class FaultConfig:
    """What to inject: ``rate`` in [0, 1], the kinds to pick from, the random seed, and how
    long a ``timeout`` fault holds the request (``timeout_s``, seconds)."""

    rate: float = 0.0
    kinds: tuple[str, ...] = ()
    seed: int = 0
    timeout_s: float = 3.0
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: object) -> FaultConfig:
        """Build from ``{"rate", "kinds", "seed", "timeout_seconds"}``; raise ValueError with a
        reason."""
        if not isinstance(data, dict):
            raise ValueError("body must be a JSON object {rate, kinds, seed, timeout_seconds}")
        timeout = data.get("timeout_seconds", data.get("timeout_s", 3.0))
        try:
            if any(isinstance(v, bool) for v in (data.get("rate"), data.get("seed"), timeout)):
                raise TypeError("a boolean is not a number")
            rate = float(data.get("rate", 0.0))
            seed = int(data.get("seed", 0))
            timeout_s = float(timeout)
        except (TypeError, ValueError):
            raise ValueError("rate and timeout_seconds must be numbers, seed an integer") \
                from None
        kinds = data.get("kinds", list(KINDS) if rate else [])
        if isinstance(kinds, str):
            kinds = [k for k in kinds.replace(",", " ").split() if k]
        if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
            raise ValueError("kinds must be a list of strings")
        return cls.build(rate, kinds, seed, timeout_s)

    @classmethod
    def parse(cls, text: str) -> FaultConfig:
        """Parse the command-line form ``RATE:KINDS[:SEED[:TIMEOUT_SECONDS]]``, e.g.
        ``0.1:500,reset:42`` or ``1:timeout:0:1.5`` (the last field may also be written
        ``timeout_seconds=1.5``)."""
        parts = text.split(":")
        if len(parts) not in (2, 3, 4):
            raise ValueError(f"faults {text!r} is not RATE:KINDS[:SEED[:TIMEOUT_SECONDS]], "
                             "e.g. 0.1:500,reset:42 or 1:timeout:0:1.5")
        timeout = parts[3].removeprefix("timeout_seconds=") if len(parts) == 4 else "3"
        try:
            rate = float(parts[0])
            seed = int(parts[2]) if len(parts) >= 3 and parts[2] else 0
            timeout_s = float(timeout)
        except ValueError:
            raise ValueError(f"faults {text!r}: RATE must be a number, SEED an integer, "
                             "TIMEOUT_SECONDS a number of seconds") from None
        kinds = [k for k in parts[1].split(",") if k]
        return cls.build(rate, kinds, seed, timeout_s)

    @classmethod
    def build(cls, rate: float, kinds, seed: int, timeout_s: float = 3.0) -> FaultConfig:
        """Validate and build."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"fault rate {rate} must be between 0 and 1")
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            raise ValueError(f"unknown fault kind(s) {unknown}; known: {', '.join(KINDS)}")
        if rate and not kinds:
            raise ValueError("a fault rate above 0 needs at least one kind")
        if not 0 <= timeout_s <= 3600:
            raise ValueError(f"timeout_seconds {timeout_s} must be between 0 and 3600")
        return cls(rate=rate, kinds=tuple(kinds), seed=seed, timeout_s=timeout_s)

    @property
    def timeout_seconds(self) -> float:
        """How long a ``timeout`` fault holds the request."""
        return self.timeout_s

    def as_json(self) -> dict:
        """The settings as ``GET /_emulator/faults`` answers them (both timeout spellings)."""
        return {"rate": self.rate, "kinds": list(self.kinds), "seed": self.seed,
                "timeout_seconds": self.timeout_s, "timeout_s": self.timeout_s}


class FaultInjector:
    """Holds the current fault config and latency and draws from a seeded RNG."""

    def __init__(self, config: FaultConfig | None = None, latency_ms: float = 0) -> None:
        self._lock = threading.Lock()
        self.latency_ms = float(latency_ms)
        #: how long a new HTTPS connection waits before its TLS handshake (the TLS front)
        self.connect_ms = 0.0
        self.configure(config or FaultConfig())

    def configure(self, config: FaultConfig) -> None:
        """Switch faults (restarts the random sequence from the seed)."""
        with self._lock:
            self.config = config
            self._rng = random.Random(config.seed)

    def draw(self) -> str | None:
        """The fault for this request, or None."""
        with self._lock:
            if not self.config.rate or not self.config.kinds:
                return None
            if self._rng.random() >= self.config.rate:
                return None
            return self._rng.choice(self.config.kinds)

    def answer_at(self, arrived: float | None = None) -> float:
        """When a call that arrived at ``arrived`` (``time.monotonic()``, default now) may be
        answered: the configured latency after its arrival."""
        start = time.monotonic() if arrived is None else min(arrived, time.monotonic())
        return start + self.latency_ms / 1000.0

    @staticmethod
    def wait_until(moment: float, environ: dict | None = None) -> None:
        """Hold the answer until ``moment`` (``time.monotonic()``), if it is still to come.
        Served by :mod:`.serve`, the server holds the written answer on its connection
        (``environ[HOLD_ANSWER]``) and the thread goes on to the next call; elsewhere (a
        WSGI call in process) the thread sleeps."""
        left = moment - time.monotonic()
        if left <= 0:
            return
        hold = environ.get(HOLD_ANSWER) if environ is not None else None
        if hold is not None:
            hold(moment)
        else:
            time.sleep(left)


def drop_connection(environ: dict) -> None:
    """Close the client's connection without a response (the ``reset`` fault)."""
    checker = environ.get("waitress.client_disconnected")
    channel = getattr(checker, "__self__", None)
    sock = getattr(channel, "socket", None)
    if sock is None:
        raise EmulatedConnectionReset("emulated fault: connection reset")
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already gone: the client sees the same thing


def malformed_body() -> bytes:
    """A body that claims to be JSON and is not."""
    return b'{"put-code": 12, "title": {"title": {"value": "cut'
