"""The add-on's pages are never cached: expire_now writes what Pyramid's http_cache=0 wrote."""

from __future__ import annotations

from pyramid.response import Response

from orcid_pyramid.views import expire_now


def _both(make):
    """(headers from expire_now, headers from WebOb's cache_expires(0)) for one response."""
    ours = expire_now(lambda context, request: make())(None, None)
    theirs = make()
    if not getattr(theirs.cache_control, "prevent_auto", False):
        theirs.cache_expires(0)
    return ours.headerlist, theirs.headerlist


def _same(ours, theirs):
    # the dates are the same second unless the clock ticked in between: compare their shape
    strip = {"expires", "last-modified"}
    assert [(n, v) for n, v in ours if n.lower() not in strip] \
        == [(n, v) for n, v in theirs if n.lower() not in strip]
    assert [n for n, _ in ours] == [n for n, _ in theirs]


def test_a_fresh_page_gets_the_same_headers_as_http_cache_0():
    ours, theirs = _both(lambda: Response("page"))
    _same(ours, theirs)
    names = dict(ours)
    assert names["Cache-Control"] == "max-age=0, must-revalidate, no-cache, no-store"
    assert names["Pragma"] == "no-cache" and names["Expires"].endswith(" GMT")


def test_a_page_with_its_own_cache_headers_is_left_to_webob():
    def no_store():
        response = Response("error page")
        response.cache_control = "no-store"  # as render_error sets it
        return response

    def dated():
        response = Response("page")
        response.headerlist.append(("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT"))
        return response

    def prevented():
        response = Response("page")
        response.cache_control.prevent_auto = True
        return response

    for make in (no_store, dated, prevented):
        _same(*_both(make))
    assert "Cache-Control" not in dict(_both(prevented)[0])


def _panel_headers(tmp_path, **extra):
    from webtest import TestApp

    from orcid_pyramid.demo import main

    app = main({}, **{
        "orcid.environment": "emulator", "orcid.base_url": "http://127.0.0.1:9",
        "orcid.client_id": "APP-DEMOCLIENT000001", "orcid.client_secret": "demo-client-secret",
        "orcid.support_email": "support@example.org", "orcid.create_tables": "true",
        "orcid.sqlalchemy.url": f"sqlite:///{tmp_path / 'panel.sqlite'}",
        "demo.session_secret": "test-secret-0123456789", **extra})
    web = TestApp(app, extra_environ={"HTTP_HOST": "localhost"})
    token = web.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    web.post("/login", {"username": "alice", "password": "demo-password", "csrf_token": token})
    response = web.get("/orcid/")
    app.registry["orcid.dbengine"].dispose()
    return response.headers


def test_the_panel_is_never_cached_unless_the_host_turns_cache_headers_off(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    headers = _panel_headers(tmp_path / "a")
    assert headers["Cache-Control"] == "max-age=0, must-revalidate, no-cache, no-store"
    assert headers["Pragma"] == "no-cache" and "Expires" in headers
    off = _panel_headers(tmp_path / "b", **{"pyramid.prevent_http_cache": "true"})
    assert "Cache-Control" not in off and "Expires" not in off and "Pragma" not in off
