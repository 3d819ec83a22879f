"""A page view that changes nothing in the session does not send the session cookie again
(the panel used to pop its empty flash queues, which marks the session changed: every page
view re-serialized, re-signed and re-sent the cookie)."""

from __future__ import annotations

from pyramid.interfaces import ISessionFactory
from pyramid.session import SignedCookieSessionFactory
from webtest import TestApp

from orcid_pyramid.demo import main

SECRET = "test-secret-0123456789"


def _signed_in(tmp_path):
    app = main({}, **{
        "orcid.environment": "emulator", "orcid.base_url": "http://127.0.0.1:9",
        "orcid.client_id": "APP-DEMOCLIENT000001", "orcid.client_secret": "demo-client-secret",
        "orcid.support_email": "support@example.org", "orcid.create_tables": "true",
        "orcid.sqlalchemy.url": f"sqlite:///{tmp_path / 'cookie.sqlite'}",
        "demo.session_secret": SECRET})
    # a host whose cookie is re-issued only when the session changes (no time-based reissue,
    # so the test does not depend on the clock's second)
    app.registry.registerUtility(SignedCookieSessionFactory(SECRET, reissue_time=None),
                                 ISessionFactory)
    web = TestApp(app, extra_environ={"HTTP_HOST": "localhost"})
    token = web.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    web.post("/login", {"username": "alice", "password": "demo-password", "csrf_token": token})
    return app, web


def test_viewing_the_panel_and_home_does_not_resend_the_session_cookie(tmp_path):
    app, web = _signed_in(tmp_path)
    for path in ("/orcid/", "/orcid/", "/"):
        response = web.get(path)
        assert "Set-Cookie" not in response.headers, path
    app.registry["orcid.dbengine"].dispose()


def test_a_flash_message_is_still_shown_once(tmp_path):
    app, web = _signed_in(tmp_path)
    message = "No ORCID iD is connected to your account."
    token = web.get("/orcid/").text.split('name="csrf_token" value="')[1].split('"')[0]
    shown = web.post("/orcid/disconnect", {"csrf_token": token}).follow()
    assert shown.text.count(message) == 1
    assert "Set-Cookie" in shown.headers  # the queue was emptied: the session changed
    assert message not in web.get("/orcid/").text
    app.registry["orcid.dbengine"].dispose()
