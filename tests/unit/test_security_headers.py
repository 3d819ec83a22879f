"""apply_headers: the add-on's security headers join a response, never over the host's."""

from __future__ import annotations

from pyramid.response import Response

from orcid_pyramid.settings import load_settings
from orcid_pyramid.views.protect import apply_headers, security_headers


def test_the_hosts_value_stays_whatever_its_case_and_nothing_is_doubled():
    headers = security_headers(load_settings({}))
    response = Response("page")
    response.headerlist.append(("content-security-policy", "default-src 'none'"))
    apply_headers(response, headers)
    apply_headers(response, headers)  # the demo's tween and the add-on's subscriber
    names = [name.lower() for name, _ in response.headerlist]
    for name in headers:
        assert names.count(name.lower()) == 1
    assert response.headers["Content-Security-Policy"] == "default-src 'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
