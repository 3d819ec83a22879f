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


def main(global_config, **settings):
    """Build the demo WSGI app from ini settings.

    ``demo.session_secret`` signs the session cookie; ``demo.embed_emulator = true`` mounts
    the emulator at ``/sandbox`` (set ``orcid.base_url`` to ``<site>/sandbox`` to use it);
    ``demo.sync_worker = true`` runs the sync worker in a background thread.
    """
    from pyramid.config import Configurator
    from pyramid.session import SignedCookieSessionFactory
    from pyramid.settings import asbool

    from .users import DemoSecurityPolicy

    settings = expand_env(settings)
    for key, value in DEMO_DEFAULTS.items():
        settings.setdefault(key, value)
    secret = settings.get("demo.session_secret")
    if not secret:
        from pyramid.exceptions import ConfigurationError

        raise ConfigurationError("demo.session_secret is not set (any long random string)")
    config = Configurator(settings=settings)
    config.include("pyramid_jinja2")
    config.set_session_factory(SignedCookieSessionFactory(
        secret, httponly=True, samesite="Lax",
        secure=asbool(settings.get("demo.secure_cookies", False))))
    config.set_security_policy(DemoSecurityPolicy())
    config.set_default_csrf_options(require_csrf=True)
    config.include("orcid_pyramid")
    config.include(".views")
    app = config.make_wsgi_app()
    if asbool(settings.get("demo.sync_worker", False)):
        _start_worker(app.registry)
    if asbool(settings.get("demo.embed_emulator", False)):
        from ..emulator import make_app
        from .embed import PrefixMount

        app = PrefixMount(app, "/sandbox", make_app(seed="demo"))
    return app


def expand_env(settings: dict) -> dict:
    """Replace every value written ``env:NAME`` by the environment variable ``NAME``
    (production.ini keeps secrets out of the file this way)."""
    import os

    from pyramid.exceptions import ConfigurationError

    result = dict(settings)
    missing = []
    for key, value in settings.items():
        if isinstance(value, str) and value.startswith("env:"):
            name = value[4:].strip()
            if os.environ.get(name):
                result[key] = os.environ[name]
            else:
                missing.append(f"{key} (environment variable {name})")
    if missing:
        raise ConfigurationError("not set in the environment: " + ", ".join(missing))
    return result


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
