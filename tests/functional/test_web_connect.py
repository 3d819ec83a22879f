"""Connect: the interstitial that signs the user out of ORCID, then the authorize URL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from orcid_pyramid.compliance.fixtures.app import (
    DEMO_CLIENT_ID,
    app_session,
    authorize_request,
    connect_via_emulator,
)


def test_anonymous_user_is_sent_to_the_hosts_login(testapp):
    """The add-on never serves its pages to anonymous users; the host's forbidden view runs."""
    response = testapp.get("/orcid/connect")
    assert response.status_int == 302
    assert "/login?next=%2Forcid%2Fconnect" in response.location


def test_connect_page_signs_out_of_orcid_first_without_an_iframe(testapp, login, emulator):
    """BP-2: the page asks ORCID's userStatus.json?logUserOut=true from the browser (script,
    no iframe) before going on, and offers a plain link when JavaScript is off."""
    login("alice")
    page = testapp.get("/orcid/connect")
    assert page.status_int == 200
    assert f'data-signout-url="{emulator.base_url}/userStatus.json?logUserOut=true"' in page.text
    assert "<iframe" not in page.text.lower()
    assert "orcid-signout.js" in page.text
    auth = authorize_request(page.text)
    assert f'href="{auth.url}"'.replace("&", "&amp;") in page.text  # no-JS fallback link
    script = testapp.get("/orcid-static/orcid-signout.js").text
    assert 'mode: "no-cors"' in script and "data-authorize-url" in script


def test_authorize_url_has_exact_scopes_state_nonce_prompt_and_prefill(testapp, login,
                                                                       emulator):
    """BP-1, DM-6, BP-2: client_id, response_type=code, exactly the configured scopes, the
    callback as redirect URI, an unguessable state, a nonce and prompt=login (openid), and the
    host user's names, e-mail and language pre-filled."""
    login("alice")
    auth = authorize_request(testapp.get("/orcid/connect").text)
    assert auth.url.startswith(emulator.base_url + "/oauth/authorize?")
    params = auth.params
    assert params["client_id"] == DEMO_CLIENT_ID
    assert params["response_type"] == "code"
    assert set(params["scope"].split()) == {"openid", "/read-limited", "/activities/update"}
    assert params["redirect_uri"] == "http://localhost/orcid/callback"
    assert len(params["state"]) >= 43  # 32 random bytes, URL-safe
    assert len(params["nonce"]) >= 43
    assert params["prompt"] == "login"
    assert params["given_names"] == "Josiah"
    assert params["family_names"] == "Carberry"
    assert params["email"] == "josiah.carberry@example.org"
    assert params["lang"] == "en"
    assert "orcid" not in params  # DM-1: the site never supplies an iD


def test_state_is_new_for_every_connect(testapp, login, emulator):
    """BP-1: each authorize request carries its own state and nonce."""
    login("alice")
    first = authorize_request(testapp.get("/orcid/connect").text)
    second = authorize_request(testapp.get("/orcid/connect").text)
    assert first.state != second.state
    assert first.params["nonce"] != second.params["nonce"]


def test_user_without_family_name_gets_no_empty_prefill(testapp, login, emulator):
    """BP-1 with missing data: carol has no family name; nothing empty is sent."""
    login("carol")
    params = authorize_request(testapp.get("/orcid/connect").text).params
    assert params["given_names"] == "Carol"
    assert "family_names" not in params


def test_configured_scope_without_openid_sends_no_nonce_or_prompt(demo_app_factory, login,
                                                                  emulator):
    """DM-6: exactly the configured scopes are asked for; nonce/prompt only with openid."""
    from webtest import TestApp

    from orcid_pyramid.compliance.fixtures.app import login_as

    app = TestApp(demo_app_factory(**{"orcid.scope": "/authenticate"}),
                  extra_environ={"HTTP_HOST": "localhost"})
    login_as(app, "alice")
    params = authorize_request(app.get("/orcid/connect").text).params
    assert params["scope"] == "/authenticate"
    assert "nonce" not in params and "prompt" not in params


def test_already_connected_user_is_not_sent_to_orcid_again(testapp, login, emulator):
    """BP-4: a live link that covers the needed scopes skips ORCID: panel + flash."""
    login("alice")
    connect_via_emulator(testapp, emulator).follow()
    calls_before = len(emulator.control.calls())
    response = testapp.get("/orcid/connect")
    assert response.status_int == 302
    assert response.location.endswith("/orcid/")
    assert "already connected" in response.follow().text
    calls = emulator.control.calls()[calls_before:]
    assert not [c for c in calls if c["path"].startswith("/oauth/")]


def test_expired_or_narrower_link_goes_to_orcid_again(testapp, demo_app, login, emulator):
    """BP-4: an expired token, or one without a needed scope, does not count as connected."""
    from sqlalchemy import update

    from orcid_pyramid.models import OrcidLink

    login("alice")
    connect_via_emulator(testapp, emulator).follow()
    with app_session(demo_app) as session:
        session.execute(update(OrcidLink).values(
            expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        session.commit()
    assert testapp.get("/orcid/connect").status_int == 200
    with app_session(demo_app) as session:
        session.execute(update(OrcidLink).values(
            expires_at=datetime.now(UTC) + timedelta(days=1), scope="openid /read-limited"))
        session.commit()
    assert testapp.get("/orcid/connect").status_int == 200


def test_no_page_of_the_add_on_lets_anyone_type_an_id(testapp, login, emulator):
    """DM-1: no form field in the add-on's pages accepts an iD (before and after connecting)."""
    import re

    login("admin")
    pages = [testapp.get("/orcid/"), testapp.get("/orcid/connect"),
             testapp.get("/orcid/admin/calls"), testapp.get("/orcid/admin/items")]
    login("alice")
    connect_via_emulator(testapp, emulator)
    pages.append(testapp.get("/orcid/"))
    for page in pages:
        for field in re.findall(r"<input[^>]*>", page.text):
            kind = re.search(r'type="([^"]+)"', field)
            name = re.search(r'name="([^"]+)"', field)
            assert "orcid" not in (name.group(1) if name else ""), field
            assert (kind.group(1) if kind else "text") in ("hidden", "date", "text"), field
            if (kind.group(1) if kind else "text") == "text":
                assert name and name.group(1) == "user", field
