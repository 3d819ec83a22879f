"""The emulator's rate limit counts requests in the order they arrived, as ORCID's proxy does,
whatever the order in which its threads get to them.

The server stamps each request with its arrival (``ratelimit.ARRIVED``, from the kernel's
receive time); a request that waited for a free thread is handled after one that arrived later.
Counted at the time of the one handled before it, it lost the refill of the time between their
arrivals whenever the bucket was full: the emulator answered 503 where ORCID, and the benchmark's
replay of the call log in arrival order, found a token (a first push of 50 researchers got two
503s while the replay left 0.94 of a token to spare). Requests here go through the emulator's
WSGI app with the stamp the server would give them.
"""

from __future__ import annotations

import time

from webtest import TestApp

from orcid_pyramid.emulator import make_app, seed
from orcid_pyramid.emulator.ratelimit import ARRIVED

WORKS = f"/api/v3.0/{seed.DEMO_ORCID}/works"


def _client(rate_limit: str) -> tuple[TestApp, dict]:
    web = TestApp(make_app(seed="demo", rate_limit=rate_limit))
    token = web.post("/oauth/token", {
        "client_id": seed.DEMO_CLIENT_ID, "client_secret": seed.DEMO_CLIENT_SECRET,
        "grant_type": "client_credentials", "scope": "/read-public"}).json["access_token"]
    return web, {"Authorization": f"Bearer {token}", "Accept": "application/json"}


def _get(web: TestApp, headers: dict, arrived: float) -> int:
    return web.get(WORKS, headers=headers, extra_environ={ARRIVED: arrived},
                   expect_errors=True).status_int


def test_a_request_handled_after_a_later_one_is_counted_at_its_arrival():
    # one token a second, a burst of 2 (a rate this slow makes the test exact on any machine)
    web, headers = _client("1/2")
    t = time.monotonic() - 1.5  # in the past, within the window the limiter remembers
    # the bucket is full at t - 1.0; in arrival order: the request of t - 1.0 takes a token
    # (1 left), by t the bucket is full again (2), t takes one, the second t the last one
    # handled: t first, then the one that arrived a second before it, then t again (twice)
    statuses = [_get(web, headers, arrived) for arrived in (t, t - 1.0, t, t)]
    assert statuses == [200, 200, 200, 503]


def test_in_arrival_order_the_limit_is_unchanged():
    """The burst, then one per 1/rate seconds, then a 503."""
    web, headers = _client("1/2")
    t = time.monotonic() - 1.5  # in the past, within the window the limiter remembers
    statuses = [_get(web, headers, arrived) for arrived in (t, t, t, t + 0.5, t + 1.0, t + 1.0)]
    assert statuses == [200, 200, 503, 503, 200, 503]


def test_reordering_never_allows_more_than_arrival_order_would():
    """A late-handled request that would leave an already accepted later one without a token is
    refused (the later one cannot be taken back): never more than the limit in any window."""
    web, headers = _client("1/2")
    t = time.monotonic() - 1.5  # in the past, within the window the limiter remembers
    # t, t, then one that arrived at t - 0.5: in arrival order it would take the token the
    # second t needed (at t - 0.5: 2 -> 1; at t: 1.5 -> 0.5, then 0.5 -> refused)
    statuses = [_get(web, headers, arrived) for arrived in (t, t, t - 0.5)]
    assert statuses == [200, 200, 503]
