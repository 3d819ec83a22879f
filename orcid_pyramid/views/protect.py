"""What every page under ``orcid.route_prefix`` gets whatever the host does: security headers,
a request body limit, and a clear page (never a 5xx) for bad input the views never see: a path
that is not valid UTF-8, an unknown path, an oversized body.

Why here and not in a tween: the host owns global policy (tweens, its own not-found view); the
add-on answers only for its own paths. The exception views carry the ``orcid_under_prefix``
predicate, so they never conflict with the host's views and win over them under the prefix.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from pyramid.events import ContextFound, NewResponse
from pyramid.exceptions import URLDecodeError
from pyramid.httpexceptions import HTTPBadRequest, HTTPRequestEntityTooLarge

log = logging.getLogger(__name__)


def security_headers(settings) -> dict[str, str]:
    """The headers every page of the add-on carries (the demo site sends them on all pages).

    The CSP allows the site's own scripts, styles and images, and ORCID's registry for the
    sign-out request of the connect page (BP-2) and the iD icon; nothing may frame a page.
    """
    parts = urlsplit(settings.base_url)
    orcid = f"{parts.scheme}://{parts.netloc}"
    csp = ("default-src 'self'; script-src 'self'; style-src 'self'; "
           f"img-src 'self' data: {orcid}; connect-src 'self' {orcid}; form-action 'self'; "
           "frame-ancestors 'none'; base-uri 'self'; object-src 'none'")
    return {
        "X-Frame-Options": "DENY",
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }


def apply_headers(response, headers: dict[str, str]) -> None:
    """Add ``headers`` to ``response`` without replacing a value the host set (names compare
    without case). One pass over the header list: ``name in response.headers`` walked the
    whole list once per header, on every page (twice there: the demo's tween and this
    module's subscriber both apply them)."""
    headerlist = response.headerlist
    present = {name.lower() for name, _ in headerlist}
    for name, value in headers.items():
        if name.lower() not in present:
            headerlist.append((name, value))


def under_prefix(environ, prefix: str) -> bool:
    """True for a path under the add-on's prefix; reads the raw ``PATH_INFO`` (latin-1, as
    WSGI gives it), which cannot fail to decode as ``request.path_info`` can."""
    raw = environ.get("PATH_INFO", "") or ""
    prefix = prefix.rstrip("/")
    return not prefix or raw == prefix or raw.startswith(prefix + "/")


class UnderPrefixPredicate:
    """View predicate ``orcid_under_prefix = "/orcid"``: the request's raw path is under it."""

    def __init__(self, value, config):
        self.prefix = str(value)

    def text(self) -> str:
        return f"orcid_under_prefix = {self.prefix}"

    phash = text

    def __call__(self, context, request) -> bool:
        return under_prefix(request.environ, self.prefix)


class InvalidText(HTTPBadRequest):
    """The query string is not valid UTF-8 (answered with the 400 page)."""


def oversized(request, limit: int) -> bool:
    """True when the body is (or, without a Content-Length, turns out to be) over ``limit``
    bytes. Only up to ``limit + 1`` bytes are ever read, so memory stays flat."""
    length = request.content_length
    if length is not None:
        return length > limit
    if request.method not in ("POST", "PUT", "PATCH") or not request.is_body_readable:
        return False
    head = request.body_file.read(limit + 1)
    if len(head) > limit:
        return True
    request.body = head  # seekable again for the view
    return False


def includeme(config) -> None:
    """Register the headers, the body limit, the UTF-8 check of the query string and the pages
    for bad input under the prefix."""
    from ..i18n import _
    from .errors import render_error

    settings = config.registry["orcid.settings"]
    prefix = settings.route_prefix
    headers = security_headers(settings)
    limit = settings.max_body_size

    def add_headers(event) -> None:
        if under_prefix(event.request.environ, prefix):
            apply_headers(event.response, headers)

    def check_request(event) -> None:
        request = event.request
        if not under_prefix(request.environ, prefix):
            return
        if oversized(request, limit):
            raise HTTPRequestEntityTooLarge()
        try:
            request.GET  # noqa: B018 -- webob decodes lazily; decode now, answer 400 once
        except UnicodeDecodeError:
            raise InvalidText() from None

    config.add_view_predicate("orcid_under_prefix", UnderPrefixPredicate)
    config.add_subscriber(add_headers, NewResponse)
    config.add_subscriber(check_request, ContextFound)

    def too_large(exc, request):
        response = render_error(
            request, 413, "That request was too large",
            _("This site accepts at most ${limit} bytes here. Nothing was changed.",
              limit=limit))
        response.headers["Connection"] = "close"  # the body is left unread
        return response

    def not_found(exc, request):
        return render_error(request, 404, "This page does not exist",
                            "There is no page at this address.")

    def bad_text(exc, request):
        log.info("refused an address under %s that is not valid UTF-8", prefix)
        return render_error(request, 400, "This address is not valid",
                            "The address of this page has characters that are not valid "
                            "text. Nothing was changed.")

    config.add_exception_view(too_large, context=HTTPRequestEntityTooLarge,
                              orcid_under_prefix=prefix)
    config.add_notfound_view(not_found, orcid_under_prefix=prefix)
    for context in (URLDecodeError, InvalidText):
        config.add_exception_view(bad_text, context=context, orcid_under_prefix=prefix)
