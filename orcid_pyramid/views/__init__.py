"""The add-on's views. Each is thin: read the request, call a service, render or redirect."""

from __future__ import annotations

from pyramid.httpexceptions import HTTPForbidden

T = "orcid_pyramid:templates/"


def add_views(config, settings) -> None:
    """Register every view and the ORCID error view scoped to the add-on's routes."""
    from ..client.errors import OrcidError
    from .admin import admin_calls_view, admin_items_view
    from .connect import callback_view, connect_view
    from .errors import ADDON_ROUTES, guard, orcid_error_view
    from .panel import disconnect_confirm_view, disconnect_view, panel_view

    common = {"decorator": guard, "http_cache": 0}
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
