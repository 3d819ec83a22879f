"""Fixtures that build the site under test: the demo (default), ``--orcid-app`` or live.

Demo: the bundled demo site on a fresh database per scenario, talking over real HTTP to the
emulator (the ``emulator`` and ``demo_app_factory`` fixtures of :mod:`..fixtures`), optionally
with one deliberately broken configuration (``--orcid-breakage``).
App: the ini's app loaded with ``pyramid.paster.get_app``, once per run; its
``orcid.base_url`` must be a loopback emulator (started on that port when nothing listens).
Live: the demo site against the live ORCID sandbox (:mod:`..live`): four environment variables
name the sandbox client and researcher; without them the scenarios skip and say which are
missing. The researcher approves on ORCID's own pages in Chromium.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

from ..site import Researcher, Site, demo_sign_in

#: the demo's researcher: alice, whose ORCID record is the emulator's seeded one
SEED_ORCID = "0000-0002-1825-0097"
DEMO_PASSWORD = "demo-password"


@dataclass(frozen=True)
class Target:
    """What the run tests, from the command-line options."""

    kind: str  # demo | app | live (the demo against the live sandbox)
    config: str | None = None
    breakage: str | None = None
    screenshots: bool = True
    #: an ``--orcid-app`` run against the live sandbox its ini is configured for
    live: bool = False

    @property
    def description(self) -> str:
        """Human words for the report header."""
        if self.kind == "live":
            return "the live ORCID sandbox"
        if self.kind == "app":
            return f"the app in {self.config}" + (" (live ORCID sandbox)" if self.live else "")
        return "the bundled demo site" + (f" (broken: {self.breakage})" if self.breakage else "")


@pytest.fixture(scope="session")
def orcid_target(pytestconfig) -> Target:
    """The target chosen on the command line."""
    breakage = pytestconfig.getoption("orcid_breakage")
    screenshots = not pytestconfig.getoption("orcid_no_screenshots")
    live = pytestconfig.getoption("orcid_live")
    config = pytestconfig.getoption("orcid_app")
    if config:
        return Target("app", config=os.path.abspath(config), breakage=breakage,
                      screenshots=screenshots, live=live)
    if live:
        return Target("live", breakage=breakage, screenshots=screenshots)
    return Target("demo", breakage=breakage, screenshots=screenshots)


@pytest.fixture
def site(request, orcid_target: Target) -> Site:
    """The site under test for this scenario."""
    if orcid_target.kind == "live":
        from ..live import release_grants

        built = _live_site(request, orcid_target)
        _describe(request, built, live=True)
        yield built
        try:
            release_grants(built)
        finally:
            built.close()
        return
    if orcid_target.kind == "app":
        if orcid_target.live:
            from .. import live

            missing = [name for name in live.missing_variables()
                       if name.startswith("ORCID_SANDBOX_")]
            if missing:
                pytest.skip(live.skip_reason(missing))
        shared = request.getfixturevalue("_app_site")
        settings = shared.settings
        if request.node.get_closest_marker("webhooks") and not (
                "webhooks" in settings.features and settings.webhook_secret):
            pytest.skip("the app does not turn ORCID's webhooks on (orcid.features with "
                        "'webhooks' and an orcid.webhook_secret)")
        _fresh_start(shared)
        _describe(request, shared, live=orcid_target.live)
        yield shared
        if orcid_target.live:
            from ..live import release_grants

            release_grants(shared, shared.researchers)
        return
    built = _demo_site(request, orcid_target)
    _describe(request, built, live=False)
    yield built
    built.close()


def _describe(request, site: Site, live: bool) -> None:
    """Tell the report which site, client and registry this run checks (once per run)."""
    from ..plugin import evidence_store
    from ..target_info import describe_site

    store = evidence_store(request.config)
    if store.target is None:
        store.describe_target(describe_site(site, live))


#: the demo's webhook path-token secret in ``@webhooks`` scenarios
WEBHOOK_SECRET = "compliance-webhook-secret-0123456789"


def _demo_overrides(request) -> dict[str, str]:
    """Settings a scenario's tags ask of the demo: ``@webhooks`` turns ORCID's webhooks on."""
    if request.node.get_closest_marker("webhooks") is None:
        return {}
    settings = request.getfixturevalue("app_settings")
    # the add-on's documented default when the demo's settings do not name the features
    features = settings.get("orcid.features", "openid collect connect-activities").split()
    return {"orcid.features": " ".join(dict.fromkeys([*features, "webhooks"])),
            "orcid.webhook_secret": WEBHOOK_SECRET, "orcid.webhook_debounce": "0"}


def _demo_site(request, target: Target) -> Site:
    emulator = request.getfixturevalue("emulator")
    factory = request.getfixturevalue("demo_app_factory")
    app = factory(**_demo_overrides(request))
    if target.breakage:
        from orcid_pyramid.compliance.breakage import break_app

        break_app(app.registry, target.breakage)
    researchers = {
        "alice": Researcher("alice", "Josiah", "Carberry", "josiah.carberry@example.org",
                            orcid=SEED_ORCID, password=DEMO_PASSWORD,
                            site_password=DEMO_PASSWORD),
    }
    return Site(
        kind="demo",
        description=target.description,
        app=app,
        registry=app.registry,
        sandbox=emulator.control,
        sandbox_state=emulator.state,
        sandbox_url=emulator.base_url,
        sign_in=demo_sign_in,
        researchers=researchers,
    )


@pytest.fixture(scope="session")
def _app_site(request, orcid_target: Target) -> Site:
    """The ``--orcid-app`` site, loaded once (its database is the ini's)."""
    from pyramid.paster import get_app, setup_logging

    config = orcid_target.config
    if not config or not os.path.isfile(config):
        pytest.exit(f"--orcid-app {config}: no such ini file", returncode=4)
    setup_logging(config)
    app = get_app(config)
    registry = _registry_of(app)
    settings = registry["orcid.settings"]
    sign_in, researchers, why = _app_sign_in(registry)
    if orcid_target.live:
        built = _live_app_site(request, orcid_target, app, registry, sign_in, researchers, why)
        started = None
    else:
        sandbox, started, url = _app_sandbox(settings)
        # the emulator's own state when this run serves it (tokens it issued are read there)
        state = started.app.state if started is not None else None
        built = Site(kind="app", description=orcid_target.description, app=app,
                     registry=registry, sandbox=sandbox, sandbox_state=state, sandbox_url=url,
                     sign_in=sign_in, researchers=researchers, why_no_sign_in=why)
    yield built
    built.close()
    if started is not None:
        started.stop()


def _live_app_site(request, target: Target, app, registry, sign_in, researchers, why) -> Site:
    """An ``--orcid-app`` site against the live sandbox its ini names: its own client, its
    own sign-in hook and test account, whose ORCID email and password come from
    ``ORCID_SANDBOX_EMAIL``/``ORCID_SANDBOX_PASSWORD``."""
    from .. import live

    settings = registry["orcid.settings"]
    for researcher in researchers.values():
        researcher.orcid_login = os.environ.get("ORCID_SANDBOX_EMAIL")
        researcher.password = os.environ.get("ORCID_SANDBOX_PASSWORD")
        researcher.orcid = os.environ.get("ORCID_SANDBOX_ORCID") or researcher.orcid or None
    return Site(kind="app", description=target.description, app=app, registry=registry,
                sandbox_url=settings.base_url, sign_in=sign_in, researchers=researchers,
                why_no_sign_in=why, orcid_sign_in=_browser_sign_in(request, settings),
                logged_calls=live.LoggedCalls(registry["orcid.dbengine"], settings).start())


def _browser_sign_in(request, settings):
    """``orcid_sign_in`` for sites without a control API: ORCID's pages in Chromium."""
    from ..browser import VIEWPORT
    from ..orcid_pages import approve_in_browser

    chromium = request.getfixturevalue("chromium")  # skips with the reason when there is none
    redirect_uri = settings.redirect_uri

    def orcid_sign_in(authorize_url: str, who: Researcher, deny: bool) -> str:
        assert redirect_uri, "orcid.redirect_uri must be set to catch ORCID's redirect"
        return approve_in_browser(chromium, authorize_url, redirect_uri,
                                  who.orcid_login or who.email, who.password or "", deny=deny,
                                  viewport=VIEWPORT)

    return orcid_sign_in


def _registry_of(app):
    """The Pyramid registry behind a (possibly wrapped) WSGI app."""
    seen = app
    for _ in range(5):
        registry = getattr(seen, "registry", None)
        if registry is not None and "orcid.settings" in registry:
            return registry
        seen = getattr(seen, "app", None) or getattr(seen, "application", None)
        if seen is None:
            break
    pytest.exit("the --orcid-app app does not include orcid_pyramid "
                "(no orcid.settings in its registry)", returncode=4)


def _app_sandbox(settings):
    """The emulator the app's settings point at: started there when nothing listens yet."""
    from orcid_pyramid.emulator.control_client import EmulatorControl

    if settings.environment != "emulator":
        pytest.skip("the app is configured for the real ORCID "
                    f"{settings.environment}; run with --orcid-live to test against it")
    parts = urlsplit(settings.base_url)
    https = parts.scheme == "https"
    host, port = parts.hostname or "127.0.0.1", parts.port or (443 if https else 80)
    started = None
    if not _listening(host, port):
        started = _EmbeddedEmulator(host, port, https=https)
    base = settings.base_url
    return EmulatorControl(base), started, base


def _app_sign_in(registry):
    """A host's sign-in hook for the suite.

    ``orcid.compliance.sign_in`` = ``module:callable(testapp, researcher)`` signs a test
    account in; ``orcid.compliance.users`` lists test accounts, one per line, as
    ``user_id:site_password:given_names:family_names:email:orcid:orcid_password`` (the iD
    and password of the researcher's record on the emulator).
    """
    from pyramid.path import DottedNameResolver

    settings = registry.settings
    dotted = settings.get("orcid.compliance.sign_in")
    if not dotted:
        return None, {}, ("the suite cannot sign in to this app: set orcid.compliance.sign_in "
                          "(callable(testapp, researcher)) and orcid.compliance.users")
    sign_in = DottedNameResolver().resolve(dotted)
    researchers = {}
    for line in str(settings.get("orcid.compliance.users", "")).split():
        fields = (line.split(":") + [""] * 7)[:7]
        user_id, site_password, given, family, email, orcid, password = fields
        researchers[user_id] = Researcher(user_id, given, family or None, email,
                                          orcid=orcid or None, password=password or None,
                                          site_password=site_password)
    return sign_in, researchers, ""


def _fresh_start(site: Site) -> None:
    """An ``--orcid-app`` scenario starts from scratch: the emulator back to its seed, and
    nothing stored for the test accounts (the app and its database live for the whole run)."""
    from sqlalchemy import delete

    from orcid_pyramid.models import Base

    if site.sandbox is not None:
        site.sandbox.reset()
    users = list(site.researchers)
    if not users:
        return
    with site.db() as db:
        for table in reversed(Base.metadata.sorted_tables):
            if "user_id" in table.c:
                db.execute(delete(table).where(table.c.user_id.in_(users)))
        db.commit()


class _EmbeddedEmulator:
    """The emulator served on a fixed loopback port for an ``--orcid-app`` run."""

    def __init__(self, host: str, port: int, *, https: bool = False) -> None:
        """With ``https``, a local CA made for this run, trusted by this process's requests
        sessions (``REQUESTS_CA_BUNDLE``) and by the suite's Chromium."""
        import threading

        from orcid_pyramid.emulator import make_app
        from orcid_pyramid.emulator.serve import listen

        from ..fixtures.emulator import process_ca
        from ..fixtures.serving import serve_until as _serve_until

        self.app = make_app(seed="demo", rate_limit=None)
        self.listening = listen(self.app, host=host, port=port, threads=8,
                                ca=process_ca() if https else None)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=_serve_until,
                                       args=(self.listening.server, self.stopping),
                                       daemon=True, name="orcid-compliance-emulator")
        self.thread.start()

    def stop(self) -> None:
        """Stop serving (the TLS front first) and the emulator's background work."""
        if self.listening.front is not None:
            self.listening.front.stop()
        self.stopping.set()
        self.listening.server.trigger.pull_trigger()
        self.thread.join(10)
        close = getattr(self.app, "close", None)
        if callable(close):
            close()


def _listening(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def _live_site(request, target: Target) -> Site:
    """The demo site configured for the live sandbox; the researcher signs in on ORCID's
    pages in Chromium."""
    from .. import live

    missing = live.missing_variables()
    if missing:
        pytest.skip(live.skip_reason(missing))
    factory = request.getfixturevalue("demo_app_factory")
    overrides = live.settings_overrides()
    app = factory(**_demo_overrides(request), **overrides)
    if target.breakage:
        from orcid_pyramid.compliance.breakage import break_app

        break_app(app.registry, target.breakage)
    identity = live.researcher_identity()
    researcher = Researcher("alice", identity["given_names"], identity["family_names"],
                            identity["email"], orcid=os.environ.get("ORCID_SANDBOX_ORCID") or None,
                            password=os.environ["ORCID_SANDBOX_PASSWORD"],
                            site_password=DEMO_PASSWORD, orcid_login=identity["email"])
    settings = app.registry["orcid.settings"]
    orcid_sign_in = _browser_sign_in(request, settings)
    observed = live.LoggedCalls(app.registry["orcid.dbengine"], settings).start()
    return Site(kind="live", description=target.description, app=app, registry=app.registry,
                sandbox_url=settings.base_url, sign_in=demo_sign_in,
                researchers={"alice": researcher}, orcid_sign_in=orcid_sign_in,
                logged_calls=observed)


@pytest.fixture
def researcher(site: Site) -> Researcher:
    """The researcher the scenario follows (the demo's alice, the seeded ORCID record)."""
    if site.sign_in is None:
        pytest.skip(site.why_no_sign_in)
    if not site.researchers:
        pytest.skip("no researcher configured for this site (orcid.compliance.users)")
    return next(iter(site.researchers.values()))
