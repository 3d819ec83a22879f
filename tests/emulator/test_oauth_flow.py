"""The three-legged OAuth flow through real HTTP (orcid-facts/oauth.md#authorize,
orcid-facts/oauth.md#token, orcid-facts/oauth.md#codes, orcid-facts/sign-out-and-sandbox.md)."""

from __future__ import annotations

import pytest
import requests
from oauthlib.oauth2 import InvalidGrantError
from requests_oauthlib import OAuth2Session

from orcid_pyramid.emulator import seed

from .browser import FormBrowser, query_of

CLIENT = seed.DEMO_CLIENT_ID
SECRET = seed.DEMO_CLIENT_SECRET
REDIRECT = "http://127.0.0.1:9/callback"


@pytest.fixture(autouse=True)
def _loopback_http(monkeypatch):
    """oauthlib refuses http:// token URLs unless told the transport is trusted (loopback)."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def _authorize_url(emulator, scope="/authenticate /activities/update", **extra) -> str:
    oauth = OAuth2Session(CLIENT, redirect_uri=REDIRECT, scope=scope.split())
    url, _ = oauth.authorization_url(emulator.base_url + "/oauth/authorize", state="s-1",
                                     **extra)
    return url


def test_code_flow_with_requests_oauthlib_and_browser_forms(emulator):
    """orcid-facts/oauth.md#authorize, orcid-facts/oauth.md#token: sign in, authorize, 302 with
    code+state, exchange at the root token URI."""
    oauth = OAuth2Session(CLIENT, redirect_uri=REDIRECT,
                          scope=["/authenticate", "/activities/update"])
    url, state = oauth.authorization_url(emulator.base_url + "/oauth/authorize")
    browser = FormBrowser()
    assert browser.get(url).status_code == 200
    assert browser.has("username-input") and browser.has("signin-button")
    browser.submit("signin-form", username=seed.DEMO_EMAIL, password=seed.DEMO_PASSWORD)
    assert browser.has("authorize-button") and browser.has("deny-button")
    assert "Add or update your research activities" in browser.page.text
    answer = browser.submit("consent-form", "authorize-button")
    assert answer.status_code == 302
    location = answer.headers["Location"]
    params = query_of(location)
    assert location.startswith(REDIRECT + "?")
    assert params["state"] == state and len(params["code"]) == 6
    token = oauth.fetch_token(emulator.base_url + "/oauth/token",
                              authorization_response=location,
                              client_secret=SECRET, include_client_id=True)
    assert token["orcid"] == seed.DEMO_ORCID
    assert token["name"] == "Josiah Carberry"
    assert token["token_type"].lower() == "bearer" and token["expires_in"] == 631138518
    token_calls = [c for c in emulator.control.calls() if c["path"].endswith("/oauth/token")]
    assert [c["host"] for c in token_calls] == ["root"]


def test_deny_redirects_with_access_denied_and_state(emulator):
    """orcid-facts/oauth.md#authorize: Deny → ``error=access_denied&error_description=User denied
    access`` + state."""
    browser = FormBrowser()
    browser.get(_authorize_url(emulator))
    browser.submit("signin-form", username=seed.DEMO_ORCID, password=seed.DEMO_PASSWORD)
    answer = browser.submit("consent-form", "deny-button")
    params = query_of(answer.headers["Location"])
    assert answer.status_code == 302
    assert params == {"error": "access_denied", "error_description": "User denied access",
                      "state": "s-1"}


def test_wrong_password_shows_the_form_again_with_a_message(emulator):
    """Sign-in failure stays on ORCID's page, no redirect."""
    browser = FormBrowser()
    browser.get(_authorize_url(emulator))
    page = browser.submit("signin-form", username=seed.DEMO_EMAIL, password="wrong")
    assert page.status_code == 200 and browser.has("signin-error")
    assert "Incorrect" in page.text


def test_unknown_client_gets_an_error_page_not_a_redirect(emulator):
    """orcid-facts/oauth.md#authorize: unknown client_id → error shown by ORCID, no redirect."""
    page = requests.get(emulator.base_url + "/oauth/authorize", allow_redirects=False,
                        params={"client_id": "APP-UNKNOWN000000000", "response_type": "code",
                                "scope": "/authenticate", "redirect_uri": REDIRECT},
                        timeout=10)
    assert page.status_code == 400 and "Location" not in page.headers
    assert "Invalid parameter: client_id" in page.text


def test_unregistered_redirect_uri_gets_an_error_page(emulator):
    """orcid-facts/oauth.md#redirect-uris: a client with registered URIs accepts only those (prefix
    match on the path)."""
    emulator.control.add_client("APP-REGISTERED000001", "s3cret",
                                redirect_uris=["https://site.example/orcid"])
    base = {"client_id": "APP-REGISTERED000001", "response_type": "code",
            "scope": "/authenticate"}
    ok = requests.get(emulator.base_url + "/oauth/authorize", allow_redirects=False, timeout=10,
                      params={**base, "redirect_uri": "https://site.example/orcid/callback"})
    other_host = requests.get(emulator.base_url + "/oauth/authorize", allow_redirects=False,
                              timeout=10, params={**base,
                                                  "redirect_uri": "https://evil.example/orcid"})
    other_path = requests.get(emulator.base_url + "/oauth/authorize", allow_redirects=False,
                              timeout=10, params={**base,
                                                  "redirect_uri": "https://site.example/x"})
    assert ok.status_code == 200
    assert other_host.status_code == 400 and "Redirect URI mismatch" in other_host.text
    assert other_path.status_code == 400 and "Location" not in other_path.headers


def test_member_scope_on_public_client_is_invalid_scope(emulator):
    """orcid-facts/scopes.md, orcid-facts/oauth.md#authorize: /read-limited cannot be used with
    public API clients."""
    emulator.control.add_client("APP-PUBLICCLIENT0001", "s", member=False)
    answer = requests.get(emulator.base_url + "/oauth/authorize", allow_redirects=False,
                          timeout=10, params={"client_id": "APP-PUBLICCLIENT0001",
                                              "response_type": "code", "state": "k",
                                              "scope": "/read-limited",
                                              "redirect_uri": REDIRECT})
    params = query_of(answer.headers["Location"])
    assert answer.status_code == 302 and params["error"] == "invalid_scope"
    assert params["state"] == "k"


def test_code_is_single_use_and_reuse_revokes_its_tokens(emulator):
    """orcid-facts/oauth.md#codes: a second exchange fails with invalid_grant and revokes the first
    token."""
    location = emulator.control.authorize(seed.DEMO_ORCID, CLIENT, "/read-limited", REDIRECT)
    form = {"client_id": CLIENT, "client_secret": SECRET, "grant_type": "authorization_code",
            "code": query_of(location)["code"], "redirect_uri": REDIRECT}
    first = requests.post(emulator.base_url + "/oauth/token", data=form, timeout=10)
    second = requests.post(emulator.base_url + "/oauth/token", data=form, timeout=10)
    assert first.status_code == 200
    assert second.status_code == 400 and second.json()["error"] == "invalid_grant"
    token = emulator.state.find_token(first.json()["access_token"])
    assert token.revoked


def test_code_expires_after_ten_minutes(emulator):
    """orcid-facts/oauth.md#codes: codes must be exchanged within 10 minutes."""
    location = emulator.control.authorize(seed.DEMO_ORCID, CLIENT, "/authenticate", REDIRECT)
    code = query_of(location)["code"]
    with emulator.state.lock:
        emulator.state.codes[code].issued_at -= 601
    answer = requests.post(emulator.base_url + "/oauth/token", timeout=10, data={
        "client_id": CLIENT, "client_secret": SECRET, "grant_type": "authorization_code",
        "code": code, "redirect_uri": REDIRECT})
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


def test_redirect_uri_must_match_the_authorize_request(emulator):
    """orcid-facts/oauth.md#codes: ``Redirect URI mismatch.`` at the token endpoint."""
    location = emulator.control.authorize(seed.DEMO_ORCID, CLIENT, "/authenticate", REDIRECT)
    oauth = OAuth2Session(CLIENT, redirect_uri="http://127.0.0.1:9/other")
    try:
        oauth.fetch_token(emulator.base_url + "/oauth/token", code=query_of(location)["code"],
                          client_secret=SECRET, include_client_id=True)
    except InvalidGrantError as exc:
        assert "Redirect URI mismatch" in exc.description
    else:
        raise AssertionError("the exchange with another redirect_uri succeeded")


def test_token_endpoint_also_answers_on_api_and_pub_hosts(emulator):
    """orcid-facts/hosts.md, orcid-facts/hosts.md: ORCID's own tests get tokens from ``api.`` and
    ``pub.`` too; calls say which."""
    for url in (emulator.api_url, emulator.pub_url):
        answer = requests.post(url + "/oauth/token", timeout=10, data={
            "client_id": CLIENT, "client_secret": SECRET, "grant_type": "client_credentials",
            "scope": "/read-public"})
        assert answer.status_code == 200 and answer.json()["orcid"] is None
    hosts = [c["host"] for c in emulator.control.calls() if c["path"].endswith("/oauth/token")]
    assert hosts == ["api", "pub"]
