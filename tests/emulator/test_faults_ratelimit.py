"""Per-client rate limit (orcid-facts/rate-limits.md): token bucket, 503 beyond the burst, API paths
only."""

from __future__ import annotations

import pytest
import requests

from orcid_pyramid.emulator import seed
from orcid_pyramid.emulator.ratelimit import RateLimiter, RateSpec

WORKS = f"/v3.0/{seed.DEMO_ORCID}/works"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_the_burst_then_refills_at_the_rate():
    """24/s with a burst of 40: 40 at once, then one per 1/24 s."""
    clock = FakeClock()
    limiter = RateLimiter(RateSpec.parse("24/40"), clock=clock)
    assert all(limiter.allow("c") for _ in range(40))
    assert not limiter.allow("c")
    clock.now += 1 / 24
    assert limiter.allow("c") and not limiter.allow("c")
    clock.now += 10
    assert sum(limiter.allow("c") for _ in range(50)) == 40


def test_buckets_are_per_client():
    """One client's burst does not limit another."""
    limiter = RateLimiter(RateSpec(1.0, 2), clock=FakeClock())
    assert limiter.allow("a") and limiter.allow("a") and not limiter.allow("a")
    assert limiter.allow("b")


@pytest.mark.parametrize("text, expected", [("24/40", RateSpec(24.0, 40)), ("none", None),
                                            (None, None), ("12", RateSpec(12.0, 12))])
def test_rate_specs_parse(text, expected):
    assert RateSpec.parse(text) == expected


@pytest.mark.parametrize("text", ["fast", "0/10", "5/-1"])
def test_bad_rate_specs_are_refused(text):
    with pytest.raises(ValueError):
        RateSpec.parse(text)


def _client_token(base_url: str, client_id=seed.DEMO_CLIENT_ID,
                  secret=seed.DEMO_CLIENT_SECRET) -> dict:
    answer = requests.post(base_url + "/oauth/token", timeout=5, data={
        "client_id": client_id, "client_secret": secret, "grant_type": "client_credentials",
        "scope": "/read-public"})
    return {"Authorization": f"Bearer {answer.json()['access_token']}",
            "Accept": "application/json"}


def test_beyond_the_burst_the_api_answers_503_with_an_orcid_body(emulator_factory):
    """orcid-facts/rate-limits.md: over the burst → 503; other clients and the token endpoint are
    unaffected."""
    # a refill rate of one token per 1000 s makes the count exact whatever the machine speed
    emu = emulator_factory(rate_limit="0.001/3")
    headers = _client_token(emu.base_url)
    statuses = [requests.get(emu.api_url + WORKS, headers=headers, timeout=5).status_code
                for _ in range(4)]
    emu.control.add_client("APP-SECONDCLIENT0001", "s")
    other = requests.get(emu.api_url + WORKS, timeout=5,
                         headers=_client_token(emu.base_url, "APP-SECONDCLIENT0001", "s"))
    limited = requests.get(emu.api_url + WORKS, headers=headers, timeout=5)
    assert statuses == [200, 200, 200, 503]
    assert other.status_code == 200
    assert limited.json()["response-code"] == 503 and limited.headers["Retry-After"] == "1"


def test_public_and_member_apis_have_their_own_limits(emulator_factory):
    """orcid-facts/rate-limits.md: the public and anonymous APIs (``pub.``) have their own
    limit, apart from the member API's (``api.``): spending one leaves the other whole."""
    emu = emulator_factory(rate_limit="0.001/3", public_rate_limit="0.001/2")
    headers = _client_token(emu.base_url)
    public = [requests.get(emu.pub_url + WORKS, headers=headers, timeout=5).status_code
              for _ in range(3)]
    member = [requests.get(emu.api_url + WORKS, headers=headers, timeout=5).status_code
              for _ in range(4)]
    anonymous = [requests.get(emu.pub_url + WORKS, timeout=5).status_code for _ in range(3)]
    assert public == [200, 200, 503]
    assert member == [200, 200, 200, 503]
    assert anonymous == [200, 200, 503]
    assert "burst 2" in requests.get(emu.pub_url + WORKS, timeout=5).json()["developer-message"]


def test_default_limits_are_orcids():
    """orcid-facts/rate-limits.md: member 24/s burst 40, public and anonymous 12/s burst 40."""
    from orcid_pyramid.emulator import make_app

    app = make_app(seed=None)
    try:
        assert (str(app.rate_specs["member"]), str(app.rate_specs["public"])) == ("24/40",
                                                                                 "12/40")
    finally:
        app.close()


def test_rate_limits_can_be_switched_at_run_time(emulator):
    """``PUT /_emulator/ratelimit`` sets either limit (a key left out is kept); the shared
    emulator has none by default."""
    headers = _client_token(emulator.base_url)
    assert all(requests.get(emulator.pub_url + WORKS, headers=headers, timeout=5).ok
               for _ in range(45))
    assert emulator.control.set_rate_limit(public_rate_limit="0.001/1") == {
        "rate_limit": None, "public_rate_limit": "0.001/1"}
    assert requests.get(emulator.pub_url + WORKS, headers=headers, timeout=5).ok
    assert requests.get(emulator.pub_url + WORKS, headers=headers,
                        timeout=5).status_code == 503
    assert all(requests.get(emulator.api_url + WORKS, headers=headers, timeout=5).ok
               for _ in range(5))
    emulator.control.set_rate_limit("0.001/1")
    assert requests.get(emulator.api_url + WORKS, headers=headers, timeout=5).ok
    assert requests.get(emulator.api_url + WORKS, headers=headers,
                        timeout=5).status_code == 503
    assert emulator.control.set_rate_limit(None, public_rate_limit=None) == {
        "rate_limit": None, "public_rate_limit": None}
