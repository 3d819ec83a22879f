"""The add-on's views. Each is thin: read the request, call a service, render or redirect."""

from __future__ import annotations

import time
from email.utils import formatdate

from pyramid.httpexceptions import HTTPForbidden
from pyramid.settings import asbool

T = "orcid_pyramid:templates/"


def add_views(config, settings) -> None:
    """Register every view and the ORCID error view scoped to the add-on's routes."""
    from ..client.errors import OrcidError
    from .admin import admin_calls_view, admin_items_view
    from .connect import callback_view, connect_view
    from .errors import ADDON_ROUTES, guard, orcid_error_view
    from .panel import disconnect_confirm_view, disconnect_view, panel_view

    # never cached (http_cache=0), unless the host turned Pyramid's cache headers off
    prevent = asbool(config.get_settings().get("prevent_http_cache", False))
    common = {"decorator": guard if prevent else (expire_now, guard)}
    config.add_view(panel_view, route_name="orcid.panel", request_method="GET",
                    renderer=T + "panel.jinja2", **common)
    config.add_view(connect_view, route_name="orcid.connect", request_method="GET",
                    renderer=T + "connect.jinja2", **common)
    config.add_view(callback_view, route_name="orcid.callback", request_method="GET", **common)
    # CSRF is checked inside the view: the host may not have turned require_csrf on
    config.add_view(disconnect_view, route_name="orcid.disconnect", request_method="POST",
                    require_csrf=False, **common)
    config.add_view(disconnect_confirm_view, route_name="orcid.disconnect.confirm",
                    request_method="GET", renderer=T + "disconnect_confirm.jinja2", **common)
    config.add_view(admin_calls_view, route_name="orcid.admin.calls", request_method="GET",
                    permission=settings.admin_permission, renderer=T + "admin_calls.jinja2",
                    **common)
    config.add_view(admin_items_view, route_name="orcid.admin.items", request_method="GET",
                    permission=settings.admin_permission, renderer=T + "admin_items.jinja2",
                    **common)
    for route_name in ADDON_ROUTES:
        config.add_exception_view(orcid_error_view, context=OrcidError, route_name=route_name)


def require_user(request) -> str:
    """The signed-in user's id; anonymous requests get the host's forbidden view."""
    user_id = request.authenticated_userid
    if user_id is None:
        raise HTTPForbidden()
    return str(user_id)


#: what WebOb's ``response.cache_expires(0)`` (Pyramid's ``http_cache=0``) writes
NO_STORE = "max-age=0, must-revalidate, no-cache, no-store"
_CACHE_HEADERS = frozenset({"cache-control", "expires", "last-modified", "pragma"})


def expire_now(view):
    """View decorator: the headers of Pyramid's ``http_cache=0`` (the page is never cached),
    written directly when the response has none of them yet: WebOb's ``cache_expires(0)``
    parses and rebuilds the Cache-Control header and formats the date twice (about 25 us, a
    fortieth of a page). A response that has any of them, or a Cache-Control object (e.g.
    ``prevent_auto``), gets WebOb's own treatment, as before."""

    def wrapped(context, request):
        response = view(context, request)
        headerlist = response.headerlist
        if getattr(response, "_cache_control_obj", None) is not None \
                or any(name.lower() in _CACHE_HEADERS for name, _ in headerlist):
            if not getattr(response.cache_control, "prevent_auto", False):
                response.cache_expires(0)
            return response
        now = formatdate(int(time.time()), usegmt=True)
        headerlist += [("Cache-Control", NO_STORE), ("Expires", now), ("Last-Modified", now),
                       ("Pragma", "no-cache")]
        return response

    return wrapped
