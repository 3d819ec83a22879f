"""``request.demo_urls[name]``: the address of a route without placeholders, for the demo's
navigation (ten links on every page).

The same as ``request.route_url(name)``, built from the application URL worked out once per
request and the route's path worked out once per app, instead of both on every call. A route
with placeholders or a pregenerator is left to ``request.route_url``.
"""

from __future__ import annotations

from pyramid.interfaces import IRoutesMapper

_PATHS = "demo.route_paths"  # registry key: route name -> its path, or None (not static)


def includeme(config) -> None:
    """Add ``request.demo_urls``."""
    config.add_request_method(RouteUrls, "demo_urls", reify=True)


class RouteUrls(dict):
    """Route name -> absolute URL, filled as the page asks (see the module docstring)."""

    def __init__(self, request) -> None:
        super().__init__()
        self.request = request
        self.app_url = request.application_url

    def __missing__(self, name: str) -> str:
        path = static_path(self.request.registry, name)
        url = self.app_url + path if path is not None else self.request.route_url(name)
        self[name] = url
        return url


def static_path(registry, name: str) -> str | None:
    """The path of route ``name`` when it takes no values (cached per registry), else None."""
    paths = registry.get(_PATHS)
    if paths is None:
        paths = registry[_PATHS] = {}
    try:
        return paths[name]
    except KeyError:
        pass
    route = registry.getUtility(IRoutesMapper).get_route(name)
    path = None
    if route is not None and route.pregenerator is None \
            and not any(mark in route.pattern for mark in ("{", "*", ":")):
        path = route.generate({})
    paths[name] = path
    return path
