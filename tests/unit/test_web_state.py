"""The OAuth state store (BP-1): random, single-use, bound to a user and an expiry."""

from __future__ import annotations

import pytest

from orcid_pyramid.services.state import (
    MAX_PENDING,
    SESSION_KEY,
    StateError,
    consume_state,
    new_state,
)

URI = "https://site.example/orcid/callback"


def test_state_is_long_random_and_urlsafe():
    """BP-1: 32 random bytes, URL-safe, different every time."""
    session = {}
    states = {new_state(session, "u1", 600, URI, True).state for _ in range(3)}
    assert len(states) == 3
    for state in states:
        assert len(state) >= 43
        assert set(state) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                 "0123456789-_")


def test_state_can_be_used_once():
    """BP-1: a consumed state is gone; using it again is 'unknown'."""
    session = {}
    pending = new_state(session, "u1", 600, URI, True, now=1000)
    got = consume_state(session, pending.state, "u1", now=1001)
    assert (got.user_id, got.nonce, got.redirect_uri) == ("u1", pending.nonce, URI)
    with pytest.raises(StateError) as err:
        consume_state(session, pending.state, "u1", now=1002)
    assert err.value.reason == "unknown"


@pytest.mark.parametrize(("state", "user", "now", "reason"), [
    (None, "u1", 1001, "missing"),
    ("", "u1", 1001, "missing"),
    ("guessed", "u1", 1001, "unknown"),
    ("REAL", "u1", 1600, "expired"),
    ("REAL", "u2", 1001, "other_user"),
])
def test_bad_states_are_refused_with_a_reason(state, user, now, reason):
    """BP-1: missing, unknown, expired and foreign states each have a reason and a sentence."""
    session = {}
    pending = new_state(session, "u1", 600, URI, False, now=1000)
    with pytest.raises(StateError) as err:
        consume_state(session, pending.state if state == "REAL" else state, user, now=now)
    assert err.value.reason == reason
    assert err.value.user_text() and pending.state not in err.value.user_text()


def test_a_refused_state_is_still_used_up():
    """An expired or foreign state cannot be retried either."""
    session = {}
    pending = new_state(session, "u1", 600, URI, False, now=1000)
    with pytest.raises(StateError):
        consume_state(session, pending.state, "u2", now=1001)
    with pytest.raises(StateError) as err:
        consume_state(session, pending.state, "u1", now=1001)
    assert err.value.reason == "unknown"


def test_pending_states_are_capped_and_expired_ones_dropped():
    """Many tabs: at most MAX_PENDING states; the newest stays valid."""
    session = {}
    made = [new_state(session, "u1", 600, URI, False, now=1000 + i) for i in range(8)]
    assert len(session[SESSION_KEY]) == MAX_PENDING
    assert consume_state(session, made[-1].state, "u1", now=1010).user_id == "u1"
    new_state(session, "u1", 600, URI, False, now=5000)
    assert len(session[SESSION_KEY]) == 1


def test_no_nonce_without_openid_and_next_is_kept():
    """The nonce exists only for openid; the local return path travels with the state."""
    session = {}
    pending = new_state(session, "u1", 600, URI, False, now=1, next_path="/works")
    assert pending.nonce is None
    assert consume_state(session, pending.state, "u1", now=2).next_path == "/works"
