"""``request.demo_urls`` (the demo's navigation links) gives what ``request.route_url`` does."""

from __future__ import annotations

from pyramid.config import Configurator
from pyramid.request import Request, apply_request_extensions


def _request(path: str, **environ) -> Request:
    config = Configurator()
    config.include("orcid_pyramid.demo.urls")
    config.add_route("home", "/")
    config.add_route("people", "/people", request_method="GET")
    config.add_route("person", "/people/{name}")
    config.add_route("marked", "/marked", pregenerator=lambda request, elements, kw:
                     (elements, {**kw, "_query": {"from": "pre"}}))
    with config.route_prefix_context("/sub"):
        config.add_route("nested", "/page")
    config.commit()
    request = Request.blank(path, environ=environ)
    request.registry = config.registry
    apply_request_extensions(request)
    return request


def test_the_urls_are_route_url_s_behind_a_script_name_and_a_proxy_host():
    for request in (_request("/"), _request("/x", SCRIPT_NAME="/site a", HTTP_HOST="h:8080"),
                    _request("/", **{"wsgi.url_scheme": "https", "HTTP_HOST": "example.org"})):
        for name in ("home", "people", "nested", "marked"):
            assert request.demo_urls[name] == request.route_url(name)
    assert _request("/", SCRIPT_NAME="/s").demo_urls["nested"] == "http://localhost/s/sub/page"
    assert "?from=pre" in _request("/").demo_urls["marked"]  # pregenerator: route_url itself


def test_a_route_with_placeholders_is_left_to_route_url():
    request = _request("/")
    try:
        request.demo_urls["person"]
    except KeyError as exc:  # route_url's own error: the value is missing
        assert "name" in str(exc)
    else:
        raise AssertionError("a route with a placeholder needs its value")


def test_the_language_links_are_route_url_s_with_their_query():
    from orcid_pyramid.demo.i18n import languages

    config = Configurator()
    config.include("orcid_pyramid.demo.urls")
    config.add_route("language", "/language", request_method="GET")
    config.commit()
    for path in ("/", "/orcid/?_LOCALE_=es&x=1", "/p%C3%A1gina?q=%2F%25+a", "/a b"):
        request = Request.blank(path, environ={"SCRIPT_NAME": "/site"})
        request.registry = config.registry
        apply_request_extensions(request)
        for code, _name, url in languages(request):
            assert url == request.route_url(
                "language", _query={"lang": code, "next": request.path_qs})
