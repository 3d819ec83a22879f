"""Steps in Chromium (Playwright): what only a browser shows, and the report's screenshots.

Scenarios tagged ``@browser`` skip with a reason when no Chromium is installed. The browser
signs in through the demo's own form, so these steps need the demo site (``--orcid-app``
targets skip them with a reason).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from pytest_bdd import given, then, when

from ..browser import NO_CHROMIUM, VIEWPORT, chromium_path, launch_chromium, screenshot
from ..journey import learn_orcid
from ..orcid_pages import OrcidPages, catch_redirect
from ..records import drain

WAIT_MS = 15000


@dataclass
class Visit:
    """One researcher's browser tab on the site."""

    site: Any
    researcher: Any
    page: Any
    evidence: Any
    screenshots: bool
    mark: int = 0
    shots: list[str] = field(default_factory=list)
    #: every URL the tab requested (pages, scripts, images, fetches), in order
    requests: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        """The site's address on its real socket."""
        return self.site.server_url()

    def snap(self, name: str, caption: str, shows: tuple[str, ...] = (),
             subject: str = "main") -> None:
        """Save a screenshot of the page's ``subject`` element as evidence for the ``shows``
        requirements (when an evidence folder is set)."""
        self.shots.append(caption)
        if not self.screenshots:
            return
        path = self.evidence.screenshot_path(name)
        if path is not None:
            screenshot(self.page, path, subject)
            self.evidence.add_screenshot(path, caption, shows)

    def sign_in(self, user_id: str, password: str) -> None:
        """Sign in through the demo's login form."""
        self.page.goto(self.base + "/login")
        if self.page.locator("select[name=username]").count():
            self.page.select_option("select[name=username]", user_id)
        else:
            self.page.fill("input[name=username]", user_id)
        self.page.fill("input[name=password]", password)
        with self.page.expect_navigation() as navigation:
            self.page.locator("form:has([name=password]) [type=submit]").first.click()
        answer = navigation.value
        if answer is None or answer.status >= 400 or not self.page.url.startswith(
                self.base + "/") or self._on_sign_in_form():
            status = answer.status if answer is not None else "no answer"
            raise AssertionError(
                f"the site did not sign {user_id!r} in: after the sign-in form it answered "
                f"{status} at {self.page.url}: {self._alert_text()!r}")

    def _on_sign_in_form(self) -> bool:
        """True when the tab shows the site's sign-in form (a password field)."""
        return self.page.locator("form:has([name=password])").count() > 0

    def _alert_text(self) -> str:
        """The page's alert or flash text, if any (for a failure message)."""
        alerts = self.page.locator("[role=alert]")
        return alerts.first.inner_text() if alerts.count() else ""

    def open(self, route_name: str) -> None:
        """Open one of the site's routes (the browser must still be signed in)."""
        self.page.goto(self.base + self.site.path(route_name))
        if self._on_sign_in_form():
            cookies = sorted(c["name"] for c in self.page.context.cookies())
            raise AssertionError(
                f"the site sent the signed-in browser to its sign-in form when it opened "
                f"{route_name} ({self.page.url}); cookies in the browser: {cookies}; "
                f"requests so far: {self.requests[-12:]}")

    @property
    def orcid(self) -> OrcidPages:
        """ORCID's pages in this tab."""
        return OrcidPages(self.page)

    def press_connect(self) -> None:
        """Open the ORCID panel, press the connect button, wait for ORCID's sign-in page."""
        self.open("orcid.panel")
        self.snap("01-connect-button", "The ORCID panel with ORCID's connect button",
                  shows=("CC-AUTH", "BP-6"), subject=".orcid-panel")
        self.page.click("#orcid-connect")
        self.page.wait_for_url(self.site.sandbox_url + "/**", timeout=WAIT_MS)
        self.orcid.wait_for_sign_in_or_consent()

    def sign_in_to_orcid(self) -> None:
        """On ORCID's sign-in page: the password (the email is pre-filled), then sign in."""
        if self.orcid.wait_for_sign_in_or_consent() == "signin":
            login = self.researcher.orcid_login
            self.orcid.sign_in(login if login and login != self.orcid.prefilled_username()
                               else None, self.researcher.password or "")

    def back_on_site(self) -> None:
        """Wait until ORCID has sent the browser back to the site."""
        self.page.wait_for_url(self.base + "/**", timeout=WAIT_MS)
        self.page.wait_for_load_state()

    def asked_orcid(self) -> list[str]:
        """The URLs this tab requested from ORCID's registry, in order."""
        root = self.site.settings.base_url
        return [url for url in self.requests if url.startswith(root + "/")]


class _BackOnSite:
    """Tells :class:`OrcidPages` that ORCID already sent the browser back to the site (it skips
    its consent page when a grant covers the scopes)."""

    def __init__(self, visit: Visit) -> None:
        self.visit = visit

    @property
    def url(self) -> str | None:
        url = self.visit.page.url
        return url if url.startswith(self.visit.base + "/") else None


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the run (skips the scenario when there is none)."""
    if chromium_path() is None:
        pytest.skip(NO_CHROMIUM)
    with launch_chromium() as browser:
        yield browser


@given("a researcher is signed in to the site in a browser", target_fixture="visit")
def _(site, researcher, chromium, evidence, orcid_target):
    if site.kind not in ("demo", "live"):
        pytest.skip("the browser signs in through the demo's login form (demo site only)")
    context = chromium.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    visit = Visit(site, researcher, page, evidence, orcid_target.screenshots,
                  mark=len(site.sandbox_calls()))
    page.on("request", lambda request: visit.requests.append(request.url))
    redirect_uri = site.settings.redirect_uri
    if redirect_uri and not redirect_uri.startswith(visit.base + "/"):
        # ORCID redirects to the URI registered for the client; the site listens elsewhere
        catch_redirect(page, redirect_uri, forward_to=visit.base)
    visit.sign_in(researcher.user_id, researcher.site_password or "")
    yield visit
    context.close()


@when("the researcher presses the connect button in the browser")
def _(visit):
    visit.mark = len(visit.site.sandbox_calls())
    visit.press_connect()
    visit.snap("02-orcid-signin-prefilled", "ORCID's sign-in page, pre-filled with the "
               "researcher's email (after the site signed the browser out of ORCID)",
               shows=("BP-1", "BP-2"))


@when("the researcher connects their ORCID iD in the browser")
def _(visit):
    visit.press_connect()
    visit.snap("02-orcid-signin-prefilled", "ORCID's sign-in page, pre-filled with the "
               "researcher's email (after the site signed the browser out of ORCID)",
               shows=("BP-1", "BP-2"))
    visit.sign_in_to_orcid()
    visit.orcid.authorize(before=lambda: visit.snap(
        "03-orcid-consent", "ORCID's consent page: the permissions the site asks for",
        shows=("CC-AUTH", "DM-6")),
        caught=_BackOnSite(visit))
    visit.back_on_site()
    learn_orcid(visit.site, visit.researcher)
    visit.snap("04-panel-connected", "Back on the site: the ORCID panel with the authenticated "
               "iD (green iD icon, full https URI)", shows=("CC-DISPLAY", "BP-6"),
               subject=".orcid-panel")


@when("the researcher denies access on ORCID in the browser")
def _(visit):
    visit.press_connect()
    visit.sign_in_to_orcid()
    visit.orcid.deny(caught=_BackOnSite(visit))
    visit.back_on_site()
    visit.snap("05-error-denied", "The researcher denied access: the site explains it and "
               "names the support contact", shows=("DM-8",), subject=".orcid-page")


@when("the site sends the researcher's works to ORCID from the browser")
def _(visit):
    visit.page.goto(visit.base + "/works")
    with visit.page.expect_navigation():
        visit.page.locator("form[action$='/works/push'] [type=submit]").first.click()
    drain(visit.site)
    visit.open("orcid.panel")
    visit.snap("06-item-status", "The ORCID panel's list of items sent and their status",
               shows=("CC-CONNECT", "CC-SYNC"), subject=".orcid-panel")


@when("the researcher disconnects in the browser")
def _(visit):
    visit.open("orcid.panel")
    visit.page.once("dialog", lambda dialog: dialog.accept())
    with visit.page.expect_navigation():
        visit.page.locator("form[action$='/disconnect'] [type=submit]").first.click()
    visit.snap("07-disconnected", "After confirming Disconnect: the permission is withdrawn on "
               "ORCID and the stored connection deleted", shows=("BP-3",), subject=".orcid-page")


@when("an administrator opens the call log in the browser")
def _(visit):
    # a second browser, so the researcher stays signed in in the first
    context = visit.page.context.browser.new_context(viewport=VIEWPORT)
    researcher_page, visit.page = visit.page, context.new_page()
    try:
        visit.sign_in("admin", visit.researcher.site_password or "")
        response = visit.page.goto(visit.base + visit.site.path("orcid.admin.calls"))
        assert response is not None and response.status == 200, (
            f"the call log answered {response.status if response else 'nothing'}")
        visit.snap("08-admin-call-log", "The administrators' log of every call to ORCID "
                   "(tokens redacted)", shows=("DM-7",), subject=".orcid-admin")
    finally:
        visit.page = researcher_page
        context.close()


@then("ORCID's sign-in page shows the researcher's email")
def _(visit):
    assert visit.orcid.prefilled_username() == visit.researcher.email


@then("the browser was signed out of ORCID before ORCID's sign-in page opened")
def _(visit, evidence):
    root = visit.site.settings.base_url
    asked = [url[len(root):] for url in visit.asked_orcid()]
    evidence.add("signout", "What the browser asked ORCID, in order", asked)
    paths = [url.split("?", 1) + [""] for url in asked]
    signout = next((i for i, (path, query, *_) in enumerate(paths)
                    if path == "/signout" or (path == "/userStatus.json"
                                              and "logUserOut=true" in query)), None)
    authorize = next((i for i, (path, *_) in enumerate(paths) if path == "/oauth/authorize"),
                     None)
    assert authorize is not None, "the browser never reached ORCID's authorize page"
    assert signout is not None, "the browser was not signed out of ORCID"
    assert signout < authorize, "the sign-out came after the authorize page"


@then("the browser shows the researcher's ORCID panel with their iD")
def _(visit):
    uri = visit.site.settings.id_uri(visit.researcher.orcid)
    link = visit.page.locator(f'a[href="{uri}"]').first
    assert link.is_visible(), f"no visible link to {uri}"
    assert uri in link.inner_text()
    width = link.locator("img").first.evaluate("img => img.naturalWidth")
    assert width > 0, "the iD icon did not load"


@then("the panel reads in the researcher's language with the same iD and icon")
def _(visit):
    """The panel in Spanish (the demo's ``_LOCALE_``; the add-on's texts go through its
    gettext domain), with the same iD link and icon: translation never drops the display."""
    if visit.site.kind not in ("demo", "live"):
        pytest.skip("the language switch is the demo's (demo site only)")
    visit.page.goto(visit.base + visit.site.path("orcid.panel") + "?_LOCALE_=es")
    lang = visit.page.locator("html").get_attribute("lang") or ""
    uri = visit.site.settings.id_uri(visit.researcher.orcid)
    link = visit.page.locator(f'a[href="{uri}"]').first
    visit.snap("09-panel-es", "The ORCID panel in Spanish: the same iD, icon and link",
               shows=("CC-DISPLAY",), subject=".orcid-panel")
    assert lang.startswith("es"), f"the page says lang={lang!r}, not Spanish"
    assert link.is_visible() and uri in link.inner_text(), f"no visible link to {uri}"
    assert link.locator("img").first.evaluate("img => img.naturalWidth") > 0


@then("each step was captured with a description")
def _(visit):
    assert len(visit.shots) >= 8, f"only {len(visit.shots)} steps captured"
