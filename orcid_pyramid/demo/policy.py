"""The demo site's own policy for every page (the host's job, which the add-on leaves to it):
the add-on's security headers on the site's pages too, a request body limit, and, on a
deployed demo (``demo.https_only``), HTTPS only with HSTS.

Behind a TLS proxy the scheme comes from ``X-Forwarded-Proto``, which waitress trusts only from
``trusted_proxy`` (see production.ini).

``demo.access_log`` (on in production) writes one line per request on the
``orcid_pyramid.demo.access`` logger: method, path (never the query string, which carries
OAuth codes) and status, at ERROR for a 5xx or an exception no view handled, so an operator
(and the production rehearsal) finds every server error in the log. waitress itself writes no
access log.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from pyramid.httpexceptions import HTTPForbidden, HTTPMovedPermanently, HTTPRequestEntityTooLarge
from pyramid.settings import asbool

from ..views.protect import apply_headers, oversized, security_headers

access_log = logging.getLogger("orcid_pyramid.demo.access")

DEFAULT_MAX_BODY = 1024 * 1024
HSTS = "max-age=31536000; includeSubDomains"


def raw_path(request) -> str:
    """The request's path as sent, percent-encoded (it may not be UTF-8); no query string."""
    environ = request.environ
    raw = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")).encode("latin-1")
    return quote(raw, safe="/:@!$&'()*+,;=~%-._")


def https_url(request) -> str:
    """The same address over HTTPS, built from the raw path (which may not be UTF-8)."""
    environ = request.environ
    url = "https://" + request.host + raw_path(request)
    query = environ.get("QUERY_STRING")
    return url + ("?" + query if query else "")


def site_policy_tween_factory(handler, registry):
    """Tween: HTTPS only (when asked), the body limit, then the headers on every answer."""
    settings = registry.settings
    https_only = asbool(settings.get("demo.https_only", False))
    limit = int(settings.get("demo.max_body_size") or DEFAULT_MAX_BODY)
    headers = security_headers(registry["orcid.settings"])
    if https_only:
        headers = {**headers, "Strict-Transport-Security": HSTS}
    logged = asbool(settings.get("demo.access_log", False))

    def tween(request):
        if not logged:
            return policy(request)
        try:
            response = policy(request)
        except BaseException:
            access_log.error("%s %s answered 500 (an exception no view handled)",
                             request.method, raw_path(request))
            raise
        access_log.log(logging.ERROR if response.status_int >= 500 else logging.INFO,
                       "%s %s answered %d", request.method, raw_path(request),
                       response.status_int)
        return response

    def policy(request):
        if https_only and request.scheme != "https":
            if request.method in ("GET", "HEAD"):
                response = HTTPMovedPermanently(location=https_url(request))
            else:  # a form sent over plain http has already leaked: never act on it
                response = HTTPForbidden("This site accepts HTTPS only.")
        elif oversized(request, limit):
            response = HTTPRequestEntityTooLarge(f"At most {limit} bytes are accepted.")
            response.headers["Connection"] = "close"
        else:
            response = handler(request)
        apply_headers(response, headers)
        return response

    return tween
