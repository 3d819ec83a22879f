"""A local ORCID sandbox: OAuth 2.0 + OpenID Connect, member API v3.0, webhooks, faults and a
control API, as one WSGI application (docs/architecture.md, design.md "Emulator").

``make_app(seed="demo")`` builds it; ``orcid-pyramid emulator`` serves it with waitress;
``paste_app_factory`` lets a paste ini mount it (``use = egg:orcid-pyramid#emulator``).
"""

from __future__ import annotations

from typing import Any


def make_app(seed: str | None = None, latency_ms: float = 0, rate_limit: str | None = "24/40",
             faults: Any = None, **options: Any):
    """Build the emulator WSGI app.

    ``seed``: ``"demo"`` or None; ``latency_ms``: the least time an API or token call takes
    (handled at once, answered when it has passed); ``rate_limit``: the member API's
    ``"RATE/BURST"`` per client or None; ``faults``: ``"RATE:KINDS:SEED"`` or
    a ``FaultConfig``; ``options``: ``public_rate_limit`` (the public and anonymous API's,
    default ``"12/40"``), ``webhook_base_delay``, ``webhook_max_attempts``,
    ``webhook_batch_delay``.
    """
    from .app import EmulatorApp

    return EmulatorApp(seed=seed, latency_ms=latency_ms, rate_limit=rate_limit, faults=faults,
                       **options)


def paste_app_factory(global_config: dict, **settings: str):
    """Paste entry point: settings ``seed``, ``latency_ms``, ``rate_limit`` (member API),
    ``public_rate_limit``, ``faults``."""
    return make_app(
        seed=settings.get("seed") or None,
        latency_ms=float(settings.get("latency_ms", 0) or 0),
        rate_limit=settings.get("rate_limit", "24/40"),
        public_rate_limit=settings.get("public_rate_limit", "12/40"),
        faults=settings.get("faults") or None,
    )
