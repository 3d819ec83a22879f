"""orcid_pyramid: ORCID for Pyramid sites.

A host site adds::

    config.include("orcid_pyramid")

after setting a session factory and a security policy, and configures the ``orcid.*`` settings
(see the README). Everything is registered here; importing the package does nothing.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

#: route name -> (path under orcid.route_prefix, request method)
ROUTES = {
    "orcid.panel": ("/", "GET"),
    "orcid.connect": ("/connect", "GET"),
    "orcid.callback": ("/callback", "GET"),
    "orcid.disconnect": ("/disconnect", "POST"),
    # the same path answering GET: the confirmation page for browsers without JavaScript
    "orcid.disconnect.confirm": ("/disconnect", "GET"),
    "orcid.admin.calls": ("/admin/calls", "GET"),
    "orcid.admin.items": ("/admin/items", "GET"),
}


def includeme(config) -> None:
    """Register the add-on: settings (checked at startup), models, routes, views, templates,
    static assets, request methods and the startup check of the host's session and security.

    Raises :class:`pyramid.exceptions.ConfigurationError` with the lint's message when the
    ``orcid.*`` settings are unusable (missing secret, plain http to ORCID, wrong token URL...).
    A value written ``env:NAME`` is read from the environment (:mod:`orcid_pyramid.envsettings`).
    """
    from .envsettings import expand_env
    from .settings import check_or_raise, load_settings

    registry = config.registry
    # env:NAME values are read from the environment here as pserve and the CLI read them;
    # load_settings writes defaults back without overwriting the host's values
    settings = load_settings(expand_env(config.get_settings()))
    check_or_raise(settings)
    registry["orcid.settings"] = settings
    from .redactlog import remember_secrets

    remember_secrets(settings.client_secret, settings.webhook_secret, *settings.token_keys)

    # Pyramid de-duplicates these when the host included them already.
    config.include("pyramid_jinja2")
    config.include("pyramid_tm")
    config.include(".models")

    from .services import request as request_methods
    from .services.display import install_jinja2_globals
    from .views import add_views

    request_methods.build_app_objects(config, settings)
    with config.route_prefix_context(settings.route_prefix):
        for name, (pattern, method) in ROUTES.items():
            config.add_route(name, pattern, request_method=method)
        config.include(".sync")
    add_views(config, settings)
    config.include(".views.protect")
    config.add_static_view("orcid-static", "orcid_pyramid:static/")

    config.add_request_method(request_methods.orcid_settings, "orcid_settings", reify=True)
    config.add_request_method(request_methods.orcid_cipher, "orcid_cipher", reify=True)
    config.add_request_method(request_methods.orcid_client, "orcid_client", reify=True)
    config.add_request_method(request_methods.orcid_link, "orcid_link", reify=True)

    install_jinja2_globals(config, settings)
    config.include(".i18n")
    config.action(("orcid_pyramid", "host-check"), _check_host(config), order=10)


def _check_host(config):
    """An action, run at commit, that fails with what to add when the host lacks a session
    factory or a security policy (the add-on needs both and must not set them itself)."""

    def check() -> None:
        from pyramid.exceptions import ConfigurationError
        from pyramid.interfaces import ISecurityPolicy, ISessionFactory

        missing = []
        if config.registry.queryUtility(ISessionFactory) is None:
            missing.append(
                "a session factory: config.set_session_factory("
                "SignedCookieSessionFactory(secret)) (it keeps the OAuth state)")
        if config.registry.queryUtility(ISecurityPolicy) is None:
            missing.append(
                "a security policy: config.set_security_policy(...) (it gives "
                "request.authenticated_userid and the orcid.admin permission)")
        if missing:
            raise ConfigurationError(
                "orcid_pyramid needs " + " and ".join(missing)
                + "; add them before or after config.include('orcid_pyramid').")
        _warn_cookie_reissue(config.registry.queryUtility(ISessionFactory))

    return check


def _warn_cookie_reissue(factory) -> None:
    """Log a warning when the host's session is one of Pyramid's cookie sessions issued again
    on every request that reads it (``reissue_time=0``, the default): the late answer to a
    request sent earlier (a favicon, another tab) then carries an older cookie, which can
    replace the one holding the OAuth state (the callback refuses the connect) or the sign-in."""
    if getattr(factory, "_reissue_time", None) == 0 and hasattr(factory, "_cookie_name"):
        logging.getLogger("orcid_pyramid").warning(
            "the session factory issues its cookie again on every request that reads the "
            "session (reissue_time=0): a late answer to an earlier request can put back a "
            "cookie without the OAuth state. Set reissue_time, e.g. "
            "SignedCookieSessionFactory(secret, reissue_time=120)")
