"""Bad input under the add-on's prefix gets a clear 4xx page with the support contact, never a
5xx or an ERROR traceback in the log: invalid UTF-8, odd ``next`` values, admin filters,
oversized bodies, unknown paths, a callback reloaded by a user who is connected. Every page
carries the security headers."""

from __future__ import annotations

import logging

import pytest

from orcid_pyramid.compliance.fixtures.app import (
    approve,
    authorize_request,
    connect_via_emulator,
    csrf_token,
    local_path,
    stored_link,
)

SUPPORT = "support@example.org"
HEADERS = ("X-Frame-Options", "Content-Security-Policy", "X-Content-Type-Options",
           "Referrer-Policy")


def no_errors_logged(caplog) -> None:
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]


@pytest.mark.parametrize("path", [
    "/orcid/connect?next=%ff",          # fails on main: 503 and an ERROR traceback
    "/orcid/?tab=%c3%28",
    "/orcid/admin/calls?user=%ff",
])
def test_invalid_utf8_in_the_query_is_a_400_page(testapp, login, caplog, path):
    login("admin")
    caplog.set_level(logging.INFO)
    response = testapp.get(path, status="*")
    assert response.status_int == 400, response.status
    assert "not valid text" in response.text and SUPPORT in response.text
    no_errors_logged(caplog)


@pytest.mark.parametrize("path", ["/orcid/\xff", "/orcid/connect/\xc3("])
def test_invalid_utf8_in_the_path_is_a_400_page(demo_app, caplog, path):
    """Fails on main: a bare 500 (URLDecodeError had no view). WSGI gives the path's bytes
    as latin-1 characters (WebTest's cookie jar cannot send such a URL, hence webob)."""
    from webob import Request

    caplog.set_level(logging.INFO)
    request = Request.blank("/", environ={"HTTP_HOST": "localhost"})
    request.environ["PATH_INFO"] = path
    response = request.get_response(demo_app)
    assert response.status_int == 400, response.status
    assert SUPPORT in response.text
    assert all(name in response.headers for name in HEADERS)
    no_errors_logged(caplog)


def test_an_unknown_path_under_the_prefix_is_a_404_page(testapp, login):
    """Fails on main: Pyramid's bare "The resource could not be found" without support."""
    login("alice")
    response = testapp.get("/orcid/no-such-page", status=404)
    assert "This page does not exist" in response.text and SUPPORT in response.text


def test_next_with_non_ascii_characters_redirects_after_connecting(testapp, demo_app, login,
                                                                     emulator, caplog):
    """Fails on main: ``next=/☃`` made the callback answer 500 after the link was stored."""
    login("alice")
    page = testapp.get("/orcid/connect", {"next": "/profile/☃?a=b c"})
    auth = authorize_request(page.text)
    response = testapp.get(local_path(approve(emulator, auth)), status="*")
    assert response.status_int == 302, response.status
    assert response.headers["Location"].endswith("/profile/%E2%98%83?a=b%20c")
    assert stored_link(demo_app, "alice") is not None
    no_errors_logged(caplog)


@pytest.mark.parametrize("query", [
    {"to": "9999-12-31"},               # fails on main: 503 (date overflow)
    {"from": "0001-01-01", "to": "0001-01-01"},
    {"user": "a\x00b"},
    {"page": "99999999999999999999999"},
])
def test_any_admin_filter_value_gets_the_page(testapp, login, caplog, query):
    login("admin")
    for path in ("/orcid/admin/calls", "/orcid/admin/items"):
        response = testapp.get(path, query, status="*")
        assert response.status_int == 200, (path, response.status)
    no_errors_logged(caplog)


def test_an_oversized_body_is_refused_with_413_and_changes_nothing(testapp, demo_app, login,
                                                                   emulator):
    """Fails on main: the 1 MB form was read and the link disconnected."""
    login("alice")
    connect_via_emulator(testapp, emulator)
    token = csrf_token(testapp.get("/orcid/").text)
    body = f"csrf_token={token}&padding=" + "x" * 1_000_000
    response = testapp.post("/orcid/disconnect", body, status="*",
                            content_type="application/x-www-form-urlencoded")
    assert response.status_int == 413
    assert "too large" in response.text and SUPPORT in response.text
    assert stored_link(demo_app, "alice").status == "active"


def test_a_reloaded_callback_of_a_connected_user_says_already_connected(testapp, demo_app,
                                                                        login, emulator):
    """Fails on main: reload (or Back and authorize again) showed "We could not connect your
    ORCID iD" (400) to a user who is connected."""
    login("alice")
    page = testapp.get("/orcid/connect")
    callback = local_path(approve(emulator, authorize_request(page.text)))
    assert testapp.get(callback).status_int == 302
    again = testapp.get(callback, status="*")
    assert again.status_int == 302, again.status
    panel = again.follow()
    assert "already connected" in panel.text
    assert "could not connect" not in panel.text



def test_every_page_of_the_addon_carries_the_security_headers(testapp, login, emulator):
    """Fails on main: no X-Frame-Options, CSP, nosniff or Referrer-Policy anywhere."""
    login("admin")
    responses = [testapp.get(path, status="*") for path in (
        "/orcid/", "/orcid/connect", "/orcid/no-such-page", "/orcid/admin/calls",
        "/orcid/callback?state=forged&code=x", "/orcid/connect?next=%ff")]
    for response in responses:
        for name in HEADERS:
            assert name in response.headers, (response.request.path, name)
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        csp = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp


def test_the_demo_sites_own_pages_carry_the_headers_too(testapp):
    for path in ("/", "/login", "/people"):
        response = testapp.get(path)
        assert all(name in response.headers for name in HEADERS), path


def test_a_signed_out_visitor_with_a_huge_body_gets_413_not_the_sign_in(demo_app):
    from webtest import TestApp

    app = TestApp(demo_app, extra_environ={"HTTP_HOST": "localhost"})
    response = app.post("/orcid/disconnect", "x" * 200_000, status="*",
                        content_type="application/x-www-form-urlencoded")
    assert response.status_int == 413



def test_a_bare_host_gets_the_headers_and_pages_from_the_addon_alone(app_settings):
    """No demo tween here: the add-on's own subscriber and views do it, for its paths only."""
    from pyramid.config import Configurator
    from pyramid.response import Response
    from pyramid.session import SignedCookieSessionFactory
    from webtest import TestApp

    from orcid_pyramid.demo.users import DemoSecurityPolicy

    settings = {k: v for k, v in app_settings.items() if not k.startswith("demo.")}
    config = Configurator(settings=settings)
    config.set_session_factory(SignedCookieSessionFactory("bare-host-secret"))
    config.set_security_policy(DemoSecurityPolicy())
    config.include("orcid_pyramid")
    config.add_route("home", "/")
    config.add_view(lambda request: Response("home"), route_name="home")
    app = TestApp(config.make_wsgi_app(), extra_environ={"HTTP_HOST": "localhost"})
    for path, status in (("/orcid/no-such-page", 404), ("/orcid/connect?next=%ff", 400)):
        response = app.get(path, status=status)
        assert SUPPORT in response.text
        assert all(name in response.headers for name in HEADERS), path
    home = app.get("/")
    assert "Content-Security-Policy" not in home.headers  # the host's pages are the host's
    assert app.get("/elsewhere", status=404).text.find(SUPPORT) == -1


def test_invalid_utf8_in_a_form_is_a_400_page(testapp, demo_app, login, emulator, caplog):
    login("alice")
    connect_via_emulator(testapp, emulator)
    response = testapp.post("/orcid/disconnect", "csrf_token=%ff%fe", status="*",
                            content_type="application/x-www-form-urlencoded")
    assert response.status_int == 400, response.status
    assert SUPPORT in response.text
    assert stored_link(demo_app, "alice").status == "active"
    no_errors_logged(caplog)
