"""ORCID's own pages in Chromium: sign in, authorize or deny, and catch the redirect back.

This is the one module that knows the registry's page elements. The ids are those of ORCID's
sign-in and authorize pages (its Angular front end: ``#username-input``, ``#password``,
``#signin-button``, ``#authorize-button``, ``#deny-button``); the emulator's pages carry the
same ids, so the code below runs on every test run against the emulator and, with
``--orcid-live``, against the live sandbox unchanged.

ORCID sends the browser back to the site's registered redirect URI. That URI need not be served
where the suite runs: :func:`catch_redirect` answers it inside the browser and hands the URL
(with its ``code`` and ``state``) to the caller, which replays it on the site the way the
researcher's browser would.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: ORCID's page elements
USERNAME = "#username-input"
PASSWORD = "#password"
SIGN_IN = "#signin-button"
AUTHORIZE = "#authorize-button"
DENY = "#deny-button"
#: a cookie banner ORCID may show first; clicked when present, never required
COOKIE_BANNER_ACCEPT = "#onetrust-accept-btn-handler"

#: how long one ORCID page may take (the live sandbox is slower than the emulator)
WAIT_MS = 30000


class OrcidPagesError(AssertionError):
    """ORCID's pages did not behave as a researcher would see them (the message says how)."""


@dataclass
class Caught:
    """The redirect back to the site, caught in the browser."""

    url: str | None = None


def catch_redirect(page: Any, redirect_uri: str, forward_to: str | None = None) -> Caught:
    """Catch the browser's navigation to ``redirect_uri`` (any query).

    Without ``forward_to`` the browser is shown a short page and the URL is kept in the
    returned :class:`Caught`; with it, the browser is sent on to ``forward_to`` + the path and
    query (the site served on another address than the one registered at ORCID).
    """
    caught = Caught()
    base = redirect_uri.split("?", 1)[0].split("#", 1)[0]

    def matches(url: str) -> bool:
        return url.split("?", 1)[0].split("#", 1)[0] == base

    def answer(route, request) -> None:
        caught.url = request.url
        if forward_to is not None:
            from urllib.parse import urlsplit

            parts = urlsplit(request.url)
            target = forward_to.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query
                                                             else "")
            route.fulfill(status=302, headers={"Location": target})
            return
        route.fulfill(status=200, content_type="text/html",
                      body="<!doctype html><title>Back to the site</title>"
                           "<p id='orcid-redirect-caught'>ORCID sent the browser back.</p>")

    page.route(matches, answer)
    return caught


class OrcidPages:
    """A researcher's hands on ORCID's sign-in and authorize pages."""

    def __init__(self, page: Any, wait_ms: int = WAIT_MS) -> None:
        self.page = page
        self.wait_ms = wait_ms

    def wait_for_sign_in_or_consent(self) -> str:
        """Wait until ORCID shows its sign-in or its authorize page: ``"signin"``/``"consent"``."""
        self._accept_cookies()
        try:
            self.page.wait_for_selector(f"{SIGN_IN}, {AUTHORIZE}", state="visible",
                                        timeout=self.wait_ms)
        except Exception as error:  # noqa: BLE001 - Playwright's timeout, said in ORCID's terms
            raise OrcidPagesError(
                f"ORCID showed neither its sign-in nor its authorize page at {self.page.url} "
                "(ORCID shows its registration form instead when the site pre-fills an email "
                "it does not know)") from error
        return "signin" if self.page.locator(SIGN_IN).count() else "consent"

    def prefilled_username(self) -> str:
        """What ORCID's sign-in page shows in its email/iD field."""
        return self.page.input_value(USERNAME)

    def sign_in(self, username: str | None, password: str) -> None:
        """Type the credentials (keeping a pre-filled username when none is given) and sign in."""
        if username is not None:
            self.page.fill(USERNAME, username)
        self.page.fill(PASSWORD, password)
        self.page.click(SIGN_IN)

    def authorize(self, caught: Caught | None = None,
                  before: Callable[[], None] | None = None) -> None:
        """Press "Authorize access" (when ORCID asks; it skips the page for a live grant).
        ``before()`` runs once the page shows (a screenshot, say)."""
        self._press(AUTHORIZE, caught, before)

    def deny(self, caught: Caught | None = None,
             before: Callable[[], None] | None = None) -> None:
        """Press "Deny access" (fails when ORCID does not ask: a grant covers the scopes)."""
        if not self._press(DENY, caught, before):
            raise OrcidPagesError("ORCID did not ask for permission (the client already holds a "
                                  "grant that covers the scopes), so access cannot be denied: "
                                  "revoke the site's access in the ORCID account first")

    def _press(self, selector: str, caught: Caught | None,
               before: Callable[[], None] | None) -> bool:
        """Press ``selector``; False when ORCID went straight back to the site instead (an
        existing grant covers the scopes)."""
        done = (lambda: caught.url is not None) if caught is not None else None
        if not self._wait_for(selector, done):
            return False
        if before is not None:
            before()
        self.page.click(selector)
        return True

    def _wait_for(self, selector: str, done: Callable[[], bool] | None) -> bool:
        """True once ``selector`` is visible; False when ``done()`` came true first."""
        deadline = time.monotonic() + self.wait_ms / 1000
        while time.monotonic() < deadline:
            if done is not None and done():
                return False
            locator = self.page.locator(selector)
            if locator.count() and locator.first.is_visible():
                return True
            self._signin_error()
            self.page.wait_for_timeout(100)
        raise OrcidPagesError(f"ORCID's page never showed {selector} (at {self.page.url})")

    def _signin_error(self) -> None:
        """Fail with ORCID's words when the sign-in was refused."""
        for selector in ("#signin-error", "app-my-orcid-alerts", "mat-error"):
            alert = self.page.locator(selector)
            if alert.count() and alert.first.is_visible():
                text = " ".join(alert.first.inner_text().split())
                if text:
                    raise OrcidPagesError(f"ORCID refused the sign-in: {text}")

    def _accept_cookies(self) -> None:
        banner = self.page.locator(COOKIE_BANNER_ACCEPT)
        try:
            if banner.count() and banner.first.is_visible():
                banner.first.click()
        except Exception:  # noqa: BLE001 - the banner is optional and may vanish while clicked
            pass


def approve_in_browser(browser: Any, authorize_url: str, redirect_uri: str, username: str,
                       password: str, *, deny: bool = False,
                       snap: Callable[[Any, str], None] | None = None,
                       viewport: dict | None = None) -> str:
    """Open ``authorize_url`` in a fresh browser context, sign in, authorize (or deny) and
    return the URL ORCID redirected the browser to (``redirect_uri?code=…&state=…``).

    ``snap(page, step)`` is called on ORCID's sign-in (``"signin"``) and authorize
    (``"consent"``) pages, for screenshots.
    """
    context = browser.new_context(viewport=viewport) if viewport else browser.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        caught = catch_redirect(page, redirect_uri)
        page.goto(authorize_url)
        pages = OrcidPages(page)
        if caught.url is None and pages.wait_for_sign_in_or_consent() == "signin":
            if snap is not None:
                snap(page, "signin")
            pages.sign_in(username, password)
        press = pages.deny if deny else pages.authorize
        press(caught, before=(lambda: snap(page, "consent")) if snap is not None else None)
        _wait_until(page, lambda: caught.url is not None,
                    f"ORCID did not send the browser back to {redirect_uri}")
        return caught.url
    finally:
        context.close()


def _wait_until(page: Any, condition: Callable[[], bool], message: str) -> None:
    deadline = time.monotonic() + WAIT_MS / 1000
    while not condition():
        if time.monotonic() > deadline:
            raise OrcidPagesError(f"{message} (the browser is at {page.url})")
        page.wait_for_timeout(100)
