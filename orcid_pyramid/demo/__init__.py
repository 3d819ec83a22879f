"""The demo host site: a few local users, a profile page with the add-on's panel and iD display,
a works page fed to ORCID by the sync engine, and (optionally) the ORCID emulator mounted at
``/sandbox`` in the same WSGI app.

Paste entry point ``egg:orcid-pyramid#demo`` (``pserve development.ini``).
"""

from __future__ import annotations

from ..i18n import _

DEMO_DEFAULTS = {
    "orcid.user_info": "orcid_pyramid.demo.users:user_info",
    # marked for the catalog: the add-on translates the site name where it shows it
    "orcid.site_name": _("the orcid-pyramid demo"),
    # the add-on's pages (panel, connect, errors) carry the demo's navigation
    "orcid.layout": "orcid_pyramid:demo/templates/base.jinja2",
}
#: seconds a signed-in session lasts unused (Pyramid's default)
SESSION_TIMEOUT = 1200


def main(global_config, **settings):
    """Build the demo WSGI app from ini settings.

    ``demo.session_secret`` signs the session cookie; ``demo.embed_emulator = true`` mounts
    the emulator at ``/sandbox`` (set ``orcid.base_url`` to ``<site>/sandbox`` to use it);
    ``demo.sync_worker = true`` runs the sync worker in a background thread (not when an
    ``orcid-pyramid`` command builds the app). ``demo.password_hash`` / ``demo.admin_userids``
    / ``demo.admin_password_hash`` say who signs in and who reads the admin pages (see
    :mod:`.users`); ``demo.https_only`` and ``demo.max_body_size`` are the site's policy
    (:mod:`.policy`). ``egg:orcid-pyramid#production`` (:mod:`.production`) fixes the safe ones.
    """
    from pyramid.config import Configurator
    from pyramid.exceptions import ConfigurationError
    from pyramid.session import SignedCookieSessionFactory
    from pyramid.settings import asbool

    from ..envsettings import expand_env
    from ..redactlog import remember_secrets
    from .passwords import PasswordHashError
    from .users import DemoAccounts, DemoSecurityPolicy

    settings = expand_env(dict(settings))
    for key, value in DEMO_DEFAULTS.items():
        settings.setdefault(key, value)
    secret = settings.get("demo.session_secret")
    if not secret:
        raise ConfigurationError("demo.session_secret is not set (any long random string)")
    remember_secrets(secret)
    try:
        accounts = DemoAccounts.from_settings(settings)
    except PasswordHashError as exc:
        raise ConfigurationError(f"demo.password_hash / demo.admin_password_hash {exc}") \
            from None
    config = Configurator(settings=settings)
    config.include("pyramid_jinja2")
    # the cookie is issued again when the session changes, or on a read once it is older
    # than a tenth of its timeout (Pyramid's advice): issued again on every read, a late answer
    # to a request sent before the sign-in (the sign-in page's favicon) replaced the
    # signed-in cookie with the anonymous one
    config.set_session_factory(SignedCookieSessionFactory(
        secret, timeout=SESSION_TIMEOUT, reissue_time=SESSION_TIMEOUT // 10,
        httponly=True, samesite="Lax",
        secure=asbool(settings.get("demo.secure_cookies", False))))
    config.registry["demo.accounts"] = accounts
    config.set_security_policy(DemoSecurityPolicy(accounts))
    config.add_tween("orcid_pyramid.demo.policy.site_policy_tween_factory")
    config.set_default_csrf_options(require_csrf=True)
    config.include("orcid_pyramid")
    config.include(".views")
    app = config.make_wsgi_app()
    # a command (orcid-pyramid sync, ...) that builds the app runs its own workers
    from ..scripts import COMMAND_OPTION

    if asbool(settings.get("demo.sync_worker", False)) \
            and not asbool((global_config or {}).get(COMMAND_OPTION, False)):
        _start_worker(app.registry)
    if asbool(settings.get("demo.embed_emulator", False)):
        from ..emulator import make_app
        from .embed import PrefixMount

        app = PrefixMount(app, "/sandbox", make_app(seed="demo"))
    return app


def paste_main(global_config, **settings):
    """The ``pserve`` entry point of :func:`main` (see :func:`exit_on_configuration_error`)."""
    return exit_on_configuration_error(main, global_config, settings)


def exit_on_configuration_error(factory, global_config, settings):
    """Call an app factory for ``pserve``: a setting that stops the start (a missing
    environment variable, a lint problem) is printed as its message and the exit status is 1,
    with no traceback to read through."""
    from pyramid.exceptions import ConfigurationError

    try:
        return factory(global_config, **settings)
    except ConfigurationError as exc:
        raise SystemExit(f"orcid-pyramid: the site cannot start: {exc}") from None


def _start_worker(registry) -> None:
    """Drain the sync outbox in a daemon thread (the demo has no separate worker process);
    ``registry["demo.worker_stop"].set()`` stops it."""
    from .push import start_background_worker

    thread, stop = start_background_worker(registry["orcid.dbengine"],
                                           registry["orcid.settings"],
                                           client_factory=registry["orcid.client_factory"],
                                           cipher=registry.get("orcid.cipher"))
    registry["demo.worker_stop"] = stop
    registry["demo.worker_thread"] = thread
