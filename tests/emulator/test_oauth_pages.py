"""The registry's pages: pre-fill, registration, forced sign-in, consent skip, sign-out
(orcid-facts/oauth.md#authorize, orcid-facts/sign-out-and-sandbox.md)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pytest
import requests
import webtest

from orcid_pyramid.emulator import make_app, seed

from .browser import FormBrowser, query_of

CLIENT = seed.DEMO_CLIENT_ID
REDIRECT = "http://127.0.0.1:9/callback"


def _url(emulator, scope="/authenticate", **extra) -> str:
    params = {"client_id": CLIENT, "response_type": "code", "scope": scope,
              "redirect_uri": REDIRECT, "state": "st", **extra}
    return f"{emulator.base_url}/oauth/authorize?{urlencode(params)}"


def _signed_in(emulator, **extra) -> FormBrowser:
    browser = FormBrowser()
    browser.get(_url(emulator, **extra))
    browser.submit("signin-form", username=seed.DEMO_EMAIL, password=seed.DEMO_PASSWORD)
    return browser


def test_sign_in_form_is_prefilled_from_email(emulator):
    """orcid-facts/oauth.md#authorize: ``email`` pre-fills the sign-in field when it matches a
    record."""
    browser = FormBrowser()
    browser.get(_url(emulator, email=seed.DEMO_EMAIL))
    assert browser.doc().get_element_by_id("username-input").value == seed.DEMO_EMAIL
    assert "ORCID Sandbox (emulated)" in browser.page.text


def test_unknown_email_shows_prefilled_registration_that_creates_a_record(emulator):
    """orcid-facts/oauth.md#authorize: email/names pre-fill registration; submitting it creates a
    record and continues."""
    browser = FormBrowser()
    browser.get(_url(emulator, email="new.person@example.org", given_names="Ada",
                     family_names="Lovelace"))
    doc = browser.doc()
    assert doc.get_element_by_id("register-given-names").value == "Ada"
    assert doc.get_element_by_id("register-family-names").value == "Lovelace"
    assert doc.get_element_by_id("register-email").value == "new.person@example.org"
    browser.submit("register-form", password="long-enough-1")
    answer = browser.submit("consent-form", "authorize-button")
    code = query_of(answer.headers["Location"])["code"]
    orcid = emulator.state.codes[code].orcid
    assert seed.valid_orcid(orcid) and orcid.startswith("0009-")
    assert emulator.control.record(orcid)["given-names"] == "Ada"


def test_show_login_false_selects_registration_and_validates(emulator):
    """orcid-facts/oauth.md#authorize: ``show_login=false`` shows the registration form; bad input
    is explained."""
    browser = FormBrowser()
    browser.get(_url(emulator, show_login="false"))
    assert browser.has("register-form")
    page = browser.submit("register-form", given_names="Bo", email="bo@example.org",
                          password="short")
    assert browser.has("register-error") and "8 characters" in page.text


def _follow(browser: FormBrowser, link_id: str):
    href = browser.doc().get_element_by_id(link_id).get("href")
    return browser.get(urljoin(browser.page.url, href))


def test_unknown_email_can_switch_to_sign_in_with_an_existing_account(emulator):
    """Issue 14 (fails on main: the Sign in link led back to the Register page): the Register
    page's "Already have an ORCID iD? Sign in" opens a sign-in form, even though the pre-filled
    email is unknown, and signing in there with another account continues to consent."""
    browser = FormBrowser()
    browser.get(_url(emulator, email="bob@example.org", given_names="Bob"))
    assert browser.has("register-form")
    _follow(browser, "signin-link")
    assert browser.page.status_code == 200
    assert browser.has("signin-form") and not browser.has("register-form")
    # the unknown address is not pre-filled: the person types the account they have
    assert browser.doc().get_element_by_id("username-input").value in (None, "")
    browser.submit("signin-form", username=seed.DEMO_EMAIL, password=seed.DEMO_PASSWORD)
    assert browser.doc().get_element_by_id("signed-in-orcid").text_content().endswith(
        seed.DEMO_ORCID)
    answer = browser.submit("consent-form", "authorize-button")
    code = query_of(answer.headers["Location"])["code"]
    assert emulator.state.codes[code].orcid == seed.DEMO_ORCID


def test_sign_in_and_register_pages_link_to_each_other_back_and_forth(emulator):
    """"Register now" sets ``show_login=false`` once and "Sign in" takes it away again (ORCID
    ignores ``show_login=true``), so the links can be followed any number of times and a known
    email stays pre-filled."""
    browser = FormBrowser()
    browser.get(_url(emulator, email=seed.DEMO_EMAIL))
    for _ in range(2):
        assert browser.has("signin-form")
        _follow(browser, "register-link")
        assert browser.has("register-form")
        assert parse_qs(urlsplit(browser.page.url).query)["show_login"] == ["false"]
        _follow(browser, "signin-link")
    assert "show_login" not in browser.page.url
    assert browser.doc().get_element_by_id("username-input").value == seed.DEMO_EMAIL


def test_consent_is_skipped_when_a_live_token_covers_the_scopes(emulator):
    """orcid-facts/oauth.md#authorize: authorization is skipped when the user already granted these
    scopes."""
    browser = _signed_in(emulator, scope="/read-limited /activities/update")
    first = browser.submit("consent-form", "authorize-button")
    exchange = requests.post(emulator.base_url + "/oauth/token", timeout=10, data={
        "client_id": CLIENT, "client_secret": seed.DEMO_CLIENT_SECRET,
        "grant_type": "authorization_code", "redirect_uri": REDIRECT,
        "code": query_of(first.headers["Location"])["code"]})
    assert exchange.status_code == 200
    again = browser.get(_url(emulator, scope="/read-limited"))
    assert again.status_code == 302 and "code=" in again.headers["Location"]
    wider = browser.get(_url(emulator, scope="/read-limited /person/update"))
    assert wider.status_code == 200 and browser.has("authorize-button")


def test_prompt_login_and_max_age_force_a_fresh_sign_in(emulator):
    """orcid-facts/oauth.md#authorize, orcid-facts/sign-out-and-sandbox.md: ``prompt=login`` and an
    exceeded ``max_age`` show the sign-in form again."""
    browser = _signed_in(emulator)
    assert browser.has("authorize-button")
    browser.get(_url(emulator))
    assert browser.has("authorize-button")  # session remembered
    browser.get(_url(emulator, prompt="login"))
    assert browser.has("signin-form")
    browser.submit("signin-form", username=seed.DEMO_EMAIL, password=seed.DEMO_PASSWORD)
    for session in emulator.state.sessions.values():
        if session.auth_time:
            session.auth_time -= 120
    browser.get(_url(emulator, max_age="60"))
    assert browser.has("signin-form")


def test_user_status_log_user_out_ends_the_session(emulator):
    """orcid-facts/sign-out-and-sandbox.md: ``userStatus.json?logUserOut=true`` answers
    ``{"loggedIn": false}`` and signs out."""
    browser = _signed_in(emulator)
    status = browser.session.get(emulator.base_url + "/userStatus.json", timeout=10).json()
    out = browser.session.get(emulator.base_url + "/userStatus.json?logUserOut=true",
                              timeout=10)
    assert status == {"loggedIn": True} and out.json() == {"loggedIn": False}
    browser.get(_url(emulator))
    assert browser.has("signin-form")


def test_user_status_jsonp_and_bad_callback(emulator):
    """orcid-facts/sign-out-and-sandbox.md: ORCID is called with JSONP from the browser; the
    callback name is checked."""
    browser = FormBrowser()
    ok = browser.session.get(emulator.base_url + "/userStatus.json",
                             params={"logUserOut": "true", "callback": "cb_1"}, timeout=10)
    bad = browser.session.get(emulator.base_url + "/userStatus.json",
                              params={"callback": "alert(1)//"}, timeout=10)
    assert ok.text == 'cb_1({"loggedIn": false});'
    assert ok.headers["Content-Type"].startswith("application/javascript")
    assert bad.status_code == 400


def test_signout_page_ends_the_session(emulator):
    """orcid-facts/sign-out-and-sandbox.md: ``/signout`` signs the browser out."""
    browser = _signed_in(emulator)
    page = browser.get(emulator.base_url + "/signout")
    assert page.status_code == 200 and "signed out" in page.text
    browser.get(_url(emulator))
    assert browser.has("signin-form")


def test_form_post_without_the_session_csrf_token_is_refused(emulator):
    """The sign-in form is CSRF-safe: a post without the session's token does nothing."""
    browser = FormBrowser()
    browser.get(_url(emulator))
    page = browser.session.post(_url(emulator), data={
        "csrf": "forged", "action": "signin", "username": seed.DEMO_EMAIL,
        "password": seed.DEMO_PASSWORD}, allow_redirects=False, timeout=10)
    assert page.status_code == 400 and "CSRF" in page.text


def test_prompt_none_without_a_session_returns_login_required(emulator):
    """orcid-facts/oauth.md#authorize: ``prompt=none`` with nobody signed in →
    ``error=login_required``."""
    answer = FormBrowser().get(_url(emulator, prompt="none"))
    assert answer.status_code == 302
    assert query_of(answer.headers["Location"])["error"] == "login_required"


@pytest.mark.parametrize("lang", ["es", "zh_CN"])
def test_lang_sets_the_page_language(emulator, lang):
    """orcid-facts/oauth.md#authorize: ``lang`` is accepted and marks the page language
    (as HTML writes it: ``zh-CN``; ``zh_CN`` is not a valid ``lang`` attribute)."""
    page = FormBrowser().get(_url(emulator, lang=lang))
    assert f'<html lang="{lang.replace("_", "-")}">' in page.text


def test_urls_honour_script_name_when_mounted_under_a_prefix():
    """docs/architecture.md: mounted at /sandbox, every printed URL carries the prefix."""
    app = make_app(seed="demo", rate_limit=None)
    try:
        client = webtest.TestApp(app, extra_environ={"SCRIPT_NAME": "/sandbox",
                                                     "HTTP_HOST": "demo.test"})
        doc = client.get("/.well-known/openid-configuration").json
        page = client.get("/oauth/authorize", params={
            "client_id": CLIENT, "response_type": "code", "scope": "/authenticate",
            "redirect_uri": REDIRECT})
        cookie = page.headers["Set-Cookie"]
    finally:
        app.close()
    assert doc["issuer"] == "http://demo.test/sandbox"
    assert doc["authorization_endpoint"] == "http://demo.test/sandbox/oauth/authorize"
    assert 'action="http://demo.test/sandbox/oauth/authorize?' in page.text
    assert "Path=/sandbox" in cookie
