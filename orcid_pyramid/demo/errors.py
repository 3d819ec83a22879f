"""The demo's own error pages: 403, 404 and a form sent without a valid CSRF token.

Pyramid's defaults are bare pages (and, with ``pyramid.debug_notfound``, show the router's debug
text with object addresses). These render ``error.jinja2`` in the demo's layout instead, with
the support contact (``orcid.support_email`` / ``orcid.support_url``) and one link back. Under
the add-on's own prefix the add-on's more specific views answer first.
"""

from __future__ import annotations

from pyramid.exceptions import BadCSRFToken
from pyramid.httpexceptions import HTTPFound
from pyramid.renderers import render_to_response

from ..i18n import _

TEMPLATE = "orcid_pyramid:demo/templates/error.jinja2"

#: where a form that failed its CSRF check leads back to: (route, words)
CSRF_BACK = {
    "login": ("login", _("Back to sign in")),
    "logout": ("home", _("Back to the home page")),
    "works.push": ("works", _("Back to your works")),
    "import.run": ("import", _("Back to Import from ORCID")),
}


def includeme(config) -> None:
    """Register the three views (the demo's ``views.includeme`` includes this)."""
    config.add_notfound_view(not_found)
    config.add_forbidden_view(forbidden)
    config.add_exception_view(bad_csrf, context=BadCSRFToken)


def error_page(request, status: int, title: str, message: str, back_url: str,
               back_label: str):
    """The demo's error page as a response with ``status``, never cached."""
    settings = request.orcid_settings
    response = render_to_response(TEMPLATE, {
        "title": title, "message": message, "back_url": back_url, "back_label": back_label,
        "support_email": settings.support_email, "support_url": settings.support_url,
    }, request=request)
    response.status_int = status
    response.cache_control = "no-store"
    return response


def not_found(request):
    """404 in the demo's words; no debug text (it would show the router's internals)."""
    return error_page(request, 404, "Page not found",
                      "There is no page at this address. It may have moved, or the link may "
                      "be mistyped.", request.route_url("home"), "Go to the home page")


def forbidden(request):
    """Anonymous: go sign in and come back. Signed in but not allowed: a 403 page."""
    if request.authenticated_userid is None:
        return HTTPFound(location=request.route_url("login", _query={"next": request.path_qs}))
    return error_page(request, 403, "You may not open this page",
                      "Your account does not have access to this page. If you think it should, "
                      "ask the site's administrators.", request.route_url("home"),
                      "Go to the home page")


def bad_csrf(exc, request):
    """400: a form that did not come from this site or was open too long (the session
    changed). Nothing was done; the way back is the form's own page."""
    name = request.matched_route.name if request.matched_route else ""
    route, label = CSRF_BACK.get(name, ("home", "Go to the home page"))
    return error_page(request, 400, "That form had expired",
                      "Nothing was changed: the form was open too long or did not come from "
                      "this site. Please open the page again and send the form once more.",
                      request.route_url(route), label)
