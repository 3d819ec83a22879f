"""The one place an :class:`OrcidClient` is built from a site's settings.

The web side (one client per app), the sync worker (one per thread), the webhook, ``pull`` and
the compliance kit all take their clients from :func:`client_factory`, so a setting such as
``orcid.call_log_body_limit`` or the timeout reaches every caller. ``settings`` is any object
with the attributes of the add-on's ``OrcidSettings`` (this package imports nothing of the
add-on). A configured app keeps its factory in ``registry["orcid.client_factory"]``.
"""

from __future__ import annotations

from collections.abc import Callable

from .calllog import CallRecord
from .endpoints import Endpoints
from .http import RateLimiter
from .oauth import OrcidClient

#: ``factory(call_sink, rate_limiter) -> OrcidClient``
ClientFactory = Callable[[Callable[[CallRecord], None] | None, RateLimiter | None], OrcidClient]


def client_factory(settings, *, session=None, timeout: float | None = None) -> ClientFactory:
    """A factory of clients for ``settings``; each call gives a client writing its call log to
    ``call_sink`` and drawing on ``rate_limiter``. ``session``: a ``requests.Session`` to send
    through (tests mount the emulator in-process on one)."""
    endpoints = Endpoints(settings.base_url, settings.api_url, settings.token_url)

    def factory(call_sink, rate_limiter) -> OrcidClient:
        return OrcidClient(
            endpoints, settings.client_id, settings.client_secret,
            redirect_uri=settings.redirect_uri, timeout=timeout or settings.timeout,
            call_sink=call_sink, session=session, rate_limiter=rate_limiter,
            body_limit=settings.call_log_body_limit,
        )

    return factory
