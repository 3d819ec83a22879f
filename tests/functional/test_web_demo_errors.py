"""The demo's own 403, 404 and expired-form pages (issue 14): in the demo's layout, with the
support contact, one way back and no debug output, also with ``pyramid.debug_notfound`` on (as
development.ini has it)."""

from __future__ import annotations

import re

import lxml.html
import pytest
from webtest import TestApp

from orcid_pyramid.compliance.fixtures.app import connect_via_emulator, csrf_token, login_as

SUPPORT = "support@example.org"


@pytest.fixture
def debug_app(demo_app_factory, emulator):
    """The demo as development.ini runs it: Pyramid's debug_notfound and
    debug_authorization on."""
    app = demo_app_factory(**{"pyramid.debug_notfound": "true",
                              "pyramid.debug_authorization": "true",
                              "orcid.support_email": SUPPORT})
    return TestApp(app, extra_environ={"HTTP_HOST": "localhost"})


def _page(response):
    doc = lxml.html.fromstring(response.text)
    main = doc.get_element_by_id("main")
    return doc, main, " ".join(main.text_content().split())


def _assert_finished(response, status: int, heading: str, back: tuple[str, str]) -> None:
    """The demo's layout (its nav), the heading, the support link, exactly one way back."""
    assert response.status_int == status
    assert response.content_type == "text/html"
    doc, main, text = _page(response)
    assert doc.find_class("demo-nav"), "not in the demo's layout"
    assert [h.text_content() for h in main.iter("h1")] == [heading]
    support = main.find_class("demo-support")
    assert len(support) == 1
    assert f"mailto:{SUPPORT}" in [a.get("href") for a in support[0].iter("a")]
    links = [(" ".join(a.text_content().split()), a.get("href")) for a in main.iter("a")
             if a.getparent() is not support[0]]
    assert len(links) == 1 and links[0][0] == back[0] and links[0][1].endswith(back[1]), links
    for leak in ("debug_notfound", "debug_authorization", "object at 0x", "Traceback",
                 "matchdict", "context:"):
        assert leak not in response.text, leak


def test_404_is_the_demos_page_without_debug_output(debug_app):
    """Fails on main: Pyramid's bare 404 showed debug_notfound with an object address."""
    response = debug_app.get("/no/such/page", status=404)
    _assert_finished(response, 404, "Page not found", ("Go to the home page", "/"))


def test_403_for_a_signed_in_user_is_the_demos_page(debug_app):
    """alice may not read the call log: a 403 page in the demo's layout with support."""
    login_as(debug_app, "alice")
    response = debug_app.get("/orcid/admin/calls", status=403)
    _assert_finished(response, 403, "You may not open this page", ("Go to the home page", "/"))


def test_403_for_an_anonymous_visitor_still_sends_them_to_sign_in(debug_app):
    response = debug_app.get("/works", status=302)
    assert "/login?next=" in response.location


@pytest.mark.parametrize(("path", "fields", "back"), [
    ("/login", {"username": "alice", "password": "demo-password"}, ("Back to sign in", "/login")),
    ("/works/push", {}, ("Back to your works", "/works")),
    ("/logout", {}, ("Back to the home page", "/")),
])
def test_a_form_without_its_csrf_token_gets_the_demos_page(debug_app, path, fields, back):
    """Fails on main: Pyramid's bare "400 Bad CSRF Token" page."""
    login_as(debug_app, "bob")
    response = debug_app.post(path, {**fields, "csrf_token": "stale"}, status=400)
    _assert_finished(response, 400, "That form had expired", back)
    assert "Nothing was changed" in response.text


def test_disconnect_without_its_token_shows_one_way_back(debug_app, emulator):
    """Fails on main: "Back to your ORCID settings" was on the page twice."""
    login_as(debug_app, "alice")
    connect_via_emulator(debug_app, emulator)
    response = debug_app.post("/orcid/disconnect", {"csrf_token": "stale"}, status=400)
    assert response.text.count("Back to your ORCID settings") == 1
    assert SUPPORT in response.text
    # and the iD is still connected: the real token works
    panel = debug_app.get("/orcid/")
    assert re.search(r"Disconnect your ORCID iD", panel.text)
    debug_app.post("/orcid/disconnect", {"csrf_token": csrf_token(panel.text)}, status=200)
