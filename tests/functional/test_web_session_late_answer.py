"""An answer that arrives late does not sign the user out.

A browser sends requests side by side: the sign-in page's favicon (a 404 page, which reads the
session for its flash messages) can leave with the anonymous session's cookie and be answered
after the sign-in's answer. The demo's session factory re-issued the cookie on every request
that read the session once a second had passed since it was issued, so that late answer carried
a Set-Cookie of the anonymous session, which replaced the signed-in one: the next page sent
the user to the sign-in page (seen in the browser test of bob's sign-up, run under load). The
cookie is re-issued only when the session changes or it is older than a tenth of its timeout.
"""

from __future__ import annotations

import time

from webob.cookies import JSONSerializer, SignedSerializer
from webtest import TestApp

from orcid_pyramid.demo import main

SECRET = "test-secret-0123456789"
#: how pyramid's SignedCookieSessionFactory signs its cookie (its defaults)
SIGNED = SignedSerializer(SECRET, "pyramid.session.", "sha512", serializer=JSONSerializer())


def _demo(tmp_path):
    """The demo as ``development.ini`` builds it: its own session factory, nothing replaced."""
    return main({}, **{
        "orcid.environment": "emulator", "orcid.base_url": "http://127.0.0.1:9",
        "orcid.client_id": "APP-DEMOCLIENT000001", "orcid.client_secret": "demo-client-secret",
        "orcid.support_email": "support@example.org", "orcid.create_tables": "true",
        "orcid.sqlalchemy.url": f"sqlite:///{tmp_path / 'late.sqlite'}",
        "demo.session_secret": SECRET})


def _session_cookie(web: TestApp) -> str:
    (cookie,) = [c for c in web.cookiejar if c.name == "session"]
    return cookie.value


def test_a_late_answer_to_a_request_sent_before_sign_in_keeps_the_user_signed_in(tmp_path):
    app = _demo(tmp_path)
    web = TestApp(app, extra_environ={"HTTP_HOST": "localhost"})
    login_page = web.get("/login")
    anonymous = _session_cookie(web)
    token = login_page.text.split('name="csrf_token" value="')[1].split('"')[0]
    # the favicon's request leaves now, with the anonymous cookie; its answer comes later. The
    # cookie's time is in whole seconds: the sign-in happens in a later second than its issue
    time.sleep(1.1)
    web.post("/login", {"username": "bob", "password": "demo-password", "csrf_token": token},
             status=303)
    assert web.get("/orcid/").status_int == 200

    late = TestApp(app, extra_environ={"HTTP_HOST": "localhost"}).get(
        "/favicon.ico", headers={"Cookie": f"session={anonymous}"}, status=404)
    # a browser applies whatever cookie the late answer sets
    for header in late.headers.getall("Set-Cookie"):
        name, _, rest = header.partition("=")
        web.set_cookie(name, rest.split(";")[0])
    panel = web.get("/orcid/")
    assert panel.status_int == 200, f"signed out: sent to {panel.headers.get('Location')}"
    assert late.headers.getall("Set-Cookie") == []
    app.registry["orcid.dbengine"].dispose()


def test_a_session_is_still_renewed_while_it_is_used(tmp_path):
    """The timeout still counts from the last use, not from the sign-in: a cookie older than a
    tenth of the timeout is issued again when a page reads it, and a page read within that
    tenth sends none."""
    app = _demo(tmp_path)
    web = TestApp(app, extra_environ={"HTTP_HOST": "localhost"})
    token = web.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    web.post("/login", {"username": "bob", "password": "demo-password", "csrf_token": token},
             status=303)
    assert web.get("/orcid/").headers.getall("Set-Cookie") == []
    # the signed-in cookie as a browser would send it 121 s later (a tenth of the 1,200 s
    # timeout, and one second more)
    accessed, created, state = SIGNED.loads(_session_cookie(web).encode())
    web.set_cookie("session", SIGNED.dumps([accessed - 121, created - 121, state]).decode())
    renewed = web.get("/orcid/")
    assert renewed.status_int == 200
    assert renewed.headers.getall("Set-Cookie"), "a cookie past the reissue time was not renewed"
    app.registry["orcid.dbengine"].dispose()
