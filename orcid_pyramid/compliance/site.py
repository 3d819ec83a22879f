"""The site under test, whatever it is: the bundled demo, any app's ini, or the live sandbox.

A :class:`Site` gives the steps one vocabulary: a WebTest client on the site's WSGI app, the
add-on's effective settings and database (read through the registry the add-on filled), the
sandbox's control API (None against the live sandbox), and how a researcher signs in. The
steps never reach into the demo's internals except through :attr:`Site.sign_in`, which only the
demo target (or a host's ``orcid.compliance.sign_in`` hook) provides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

#: how the browser and WebTest see the site when no real server runs: over HTTPS, as a
#: production site is reached (a TLS proxy in front of it)
WEBTEST_HOST = "localhost"
WEBTEST_SCHEME = "https"


@dataclass
class Researcher:
    """A person with an account on the site and a record on the (emulated) ORCID registry."""

    user_id: str
    given_names: str
    family_names: str | None
    email: str
    orcid: str | None = None
    password: str | None = None
    site_password: str | None = None
    #: what to type into ORCID's sign-in field (default: ``email``)
    orcid_login: str | None = None


@dataclass
class Site:
    """The site under test and its sandbox."""

    kind: str  # "demo" | "app" | "live"
    description: str
    app: Any
    registry: Any
    sandbox: Any | None = None  # EmulatorControl
    sandbox_state: Any | None = None  # the in-process emulator's state, when there is one
    sandbox_url: str | None = None
    sign_in: Callable[[Any, Researcher], None] | None = None
    researchers: dict[str, Researcher] = field(default_factory=dict)
    why_no_sign_in: str = ""
    #: without a control API: ``orcid_sign_in(authorize_url, researcher, deny)`` approves (or
    #: denies) on ORCID's pages in a browser and returns ORCID's redirect back to the site
    orcid_sign_in: Callable[[str, Researcher, bool], str] | None = None
    #: without a control API: the site's call log, observed as it is written
    logged_calls: Any | None = None
    _server: Any = field(default=None, repr=False)

    # -- the add-on as the site configured it ------------------------------------------------
    @property
    def settings(self):
        """The add-on's effective :class:`OrcidSettings`."""
        return self.registry["orcid.settings"]

    def path(self, route_name: str, **kw: Any) -> str:
        """The path of one of the site's routes (``orcid.connect`` -> ``/orcid/connect``)."""
        from pyramid.interfaces import IRoutesMapper

        route = self.registry.getUtility(IRoutesMapper).get_route(route_name)
        if route is None:
            raise LookupError(f"the site has no route {route_name!r}")
        return route.generate(kw)

    def db(self):
        """A new session on the add-on's database (the caller closes it)."""
        from sqlalchemy.orm import Session

        return Session(bind=self.registry["orcid.dbengine"], expire_on_commit=False)

    def testapp(self):
        """A WebTest client with its own cookie jar, as one browser would be."""
        from webtest import TestApp

        # a browser names its origin on every form it posts; over HTTPS, Pyramid's default CSRF
        # check refuses a POST without Origin or Referer (a host's own forms, its sign-in)
        return TestApp(self.app, extra_environ={
            "HTTP_HOST": WEBTEST_HOST, "wsgi.url_scheme": WEBTEST_SCHEME,
            "HTTP_ORIGIN": f"{WEBTEST_SCHEME}://{WEBTEST_HOST}"})

    # -- the sandbox -----------------------------------------------------------------------
    @property
    def has_call_record(self) -> bool:
        """True when :meth:`sandbox_calls` can answer."""
        return self.sandbox is not None or self.logged_calls is not None

    @property
    def independent_record(self) -> bool:
        """True when the calls come from the sandbox's own record, not the site's call log."""
        return self.sandbox is not None

    def sandbox_calls(self, since: int = 0) -> list[dict]:
        """Every request the sandbox received (from index ``since``): the emulator's record,
        or against the live sandbox the calls the site logged (the only record there is)."""
        if self.sandbox is not None:
            return self.sandbox.calls(since=since)
        if self.logged_calls is not None:
            return self.logged_calls.since(since)
        raise RuntimeError("this sandbox keeps no call record")

    # -- a real server for the browser -------------------------------------------------------
    def server_url(self) -> str:
        """The site served by waitress on 127.0.0.1 (started on first use); over HTTPS, with
        the emulator's local CA, when the sandbox is an emulator serving HTTPS."""
        if self._server is None:
            self._server = serve(self.app, https=self._sandbox_https())
        return self._server.base_url

    def _sandbox_https(self) -> bool:
        base = getattr(self.sandbox, "base_url", "") or ""
        return self.sandbox is not None and base.startswith("https:")

    def close(self) -> None:
        """Stop the site's server, if one was started, and the call-log observer."""
        if self.logged_calls is not None:
            self.logged_calls.stop()
        if self._server is not None:
            self._server.stop()
            self._server = None


def demo_sign_in(testapp, researcher: Researcher) -> None:
    """Sign in through a login form with ``username`` and ``password`` fields at ``/login``
    (the demo's; usable as ``orcid.compliance.sign_in`` by hosts with the same form)."""
    page = testapp.get("/login")
    form = next((f for f in page.forms.values() if "username" in f.fields), None)
    assert form is not None, "no sign-in form with a username field at /login"
    form["username"] = researcher.user_id
    form["password"] = researcher.site_password or ""
    response = form.submit()
    assert response.status_int in (302, 303), f"signing in failed: {response.status}"


def query_params(url: str) -> dict[str, str]:
    """The query parameters of ``url`` (last value wins)."""
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def local_path(url: str) -> str:
    """The path and query of a URL, to replay it on the WebTest client whatever its host."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def serve(app, *, https: bool = False, threads: int = 4):
    """Serve ``app`` with waitress on 127.0.0.1 in a daemon thread (``https``: behind a TLS
    front with the emulator's local CA); returns a handle with ``base_url`` and ``stop()``."""
    from .fixtures.emulator import process_ca
    from .fixtures.serving import serve_in_thread

    return serve_in_thread(app, threads=threads, name="orcid-compliance-site",
                           ca=process_ca() if https else None)
