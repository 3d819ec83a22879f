"""The OAuth state and code (BP-1): missing, wrong, reused, expired or foreign states, replayed
codes and codes of another client are refused with a clear page and nothing is stored;
``next`` never leads off-site; disconnect needs the CSRF token."""

from __future__ import annotations

import time

import pytest

from orcid_pyramid.compliance.fixtures.app import (
    SEED_ORCID,
    approve,
    authorize_request,
    connect_via_emulator,
    csrf_token,
    local_path,
    login_as,
    stored_link,
)


def _token_calls(emulator, before):
    return [c for c in emulator.control.calls()[before:] if c["path"] == "/oauth/token"]


def _start(testapp, emulator):
    auth = authorize_request(testapp.get("/orcid/connect").text)
    return auth, approve(emulator, auth)


@pytest.mark.parametrize("state", [None, "", "not-the-state-we-sent"])
def test_missing_or_wrong_state_is_refused_before_any_exchange(testapp, demo_app, login,
                                                               emulator, state):
    """BP-1: without our state, the code is never exchanged and nothing is stored."""
    login("alice")
    auth, redirect = _start(testapp, emulator)
    code = redirect.split("code=")[1].split("&")[0]
    before = len(emulator.control.calls())
    params = {"code": code} if state is None else {"code": code, "state": state}
    response = testapp.get("/orcid/callback", params, status=400)
    assert "We could not connect your ORCID iD" in response.text
    assert "support@example.org" in response.text
    assert _token_calls(emulator, before) == []
    assert stored_link(demo_app, "alice") is None


def test_reused_state_is_refused(testapp, demo_app, login, emulator):
    """BP-1: a state works once; replaying the callback URL of a flow that stored nothing
    (the researcher declined) gets a 400 page and stores nothing."""
    login("alice")
    auth, _ = _start(testapp, emulator)
    declined = f"/orcid/callback?error=access_denied&state={auth.state}"
    assert testapp.get(declined, status=403)
    response = testapp.get(declined, status=400)
    assert "already been used" in response.text
    assert stored_link(demo_app, "alice") is None


def test_a_replayed_callback_leaves_the_link_as_it_was(testapp, demo_app, login, emulator):
    """BP-1: replaying the whole callback URL after connecting exchanges nothing: the user is
    told the iD is already connected and the stored link is unchanged."""
    login("alice")
    _, redirect = _start(testapp, emulator)
    assert testapp.get(local_path(redirect)).status_int == 302
    stored = stored_link(demo_app, "alice")
    response = testapp.get(local_path(redirect), status=302).follow()
    assert "already connected" in response.text
    assert stored_link(demo_app, "alice").access_token_enc == stored.access_token_enc


def test_expired_state_is_refused(demo_app_factory, emulator):
    """BP-1: a state older than orcid.state_ttl is refused."""
    from webtest import TestApp

    app = TestApp(demo_app_factory(**{"orcid.state_ttl": "1"}),
                  extra_environ={"HTTP_HOST": "localhost"})
    login_as(app, "alice")
    _, redirect = _start(app, emulator)
    time.sleep(1.2)  # let the one-second state lapse (the outcome, not the time, is checked)
    response = app.get(local_path(redirect), status=400)
    assert "expired" in response.text


def test_state_of_another_user_is_refused(testapp, demo_app, login, emulator):
    """BP-1: a state is bound to the user who started; another account in the same browser
    cannot finish it."""
    login("alice")
    _, redirect = _start(testapp, emulator)
    login("bob")
    response = testapp.get(local_path(redirect), status=400)
    assert "different account" in response.text
    assert stored_link(demo_app, "bob") is None and stored_link(demo_app, "alice") is None


def test_replayed_code_is_refused(testapp, demo_app, login, emulator):
    """A code works once: replayed (here by another account, with its own valid state) ORCID
    refuses it (and revokes what it issued from it, orcid-facts/oauth.md#codes); the page says
    so."""
    login("alice")
    _, redirect = _start(testapp, emulator)
    testapp.get(local_path(redirect))
    code = redirect.split("code=")[1].split("&")[0]
    testapp.reset()
    login("bob")
    fresh, _ = _start(testapp, emulator)
    response = testapp.get("/orcid/callback", {"code": code, "state": fresh.state}, status=400)
    assert "expired or was already used" in response.text
    assert stored_link(demo_app, "bob") is None


def test_code_issued_to_another_client_is_refused(testapp, demo_app, login, emulator):
    """A code ORCID gave another application cannot be exchanged by ours."""
    other = emulator.control.add_client(name="someone else")
    login("alice")
    auth = authorize_request(testapp.get("/orcid/connect").text)
    foreign = emulator.control.authorize(SEED_ORCID, other["client_id"], "/authenticate",
                                         auth.params["redirect_uri"], auth.state)
    response = testapp.get(local_path(foreign), status=400)
    assert "could not be completed" in response.text
    assert stored_link(demo_app, "alice") is None


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x",
                                    "/\\evil.example", "javascript:alert(1)",
                                    "http:/evil.example", "/ok\r\nLocation: https://evil.example"])
def test_next_never_redirects_off_site(testapp, login, emulator, target):
    """No open redirect: ``next`` on connect (and on the host's login) accepts local paths only."""
    login("alice")
    page = testapp.get("/orcid/connect", {"next": target})
    auth = authorize_request(page.text)
    response = testapp.get(local_path(approve(emulator, auth)))
    assert response.location == "http://localhost/orcid/"
    assert testapp.get("/orcid/connect", {"next": target}).location == "http://localhost/orcid/"
    testapp.reset()
    login_page = testapp.get("/login", {"next": target})
    done = testapp.post("/login", {"username": "alice", "password": "demo-password",
                                   "csrf_token": csrf_token(login_page.text), "next": target})
    assert done.location in ("http://localhost/profile", "/profile")


def test_local_next_is_honoured(testapp, login, emulator):
    """A local path in ``next`` brings the user back to where they started."""
    login("alice")
    page = testapp.get("/orcid/connect", {"next": "/works"})
    response = testapp.get(local_path(approve(emulator, authorize_request(page.text))))
    assert response.location.endswith("/works")


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_disconnect_needs_the_csrf_token(testapp, demo_app, login, emulator, token):
    """A forged cross-site POST cannot disconnect anybody."""
    login("alice")
    connect_via_emulator(testapp, emulator)
    params = {} if token is None else {"csrf_token": token}
    response = testapp.post("/orcid/disconnect", params, status=400)
    assert "was not disconnected" in response.text
    assert stored_link(demo_app, "alice") is not None
    # a GET (a link, an <img>) only shows the confirmation page: nothing is disconnected
    assert "Disconnect your ORCID iD from" in testapp.get("/orcid/disconnect").text
    assert stored_link(demo_app, "alice") is not None
