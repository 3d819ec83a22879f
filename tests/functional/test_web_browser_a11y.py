"""Accessibility in Chromium (issue 14): axe-core over every page of the demo, the add-on and
the sandbox, with no serious or critical violation; and connecting and disconnecting with the
keyboard alone, the focus always visible.

axe-core comes with axe-playwright-python (its ``axe.min.js``, MPL-2.0, run in the page).
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from orcid_pyramid.compliance.browser import NO_CHROMIUM, chromium_path, launch_chromium
from orcid_pyramid.compliance.fixtures.app import (
    DEMO_PASSWORD,
    SEED_ORCID,
    app_session,
    stored_link,
)
from orcid_pyramid.emulator import seed

pytestmark = pytest.mark.browser
axe_playwright = pytest.importorskip("axe_playwright_python.sync_playwright",
                                     reason="axe-playwright-python (the test extra) runs axe")

BLOCKING = ("serious", "critical")


@pytest.fixture
def browser():
    if chromium_path() is None:
        pytest.skip(NO_CHROMIUM)
    with launch_chromium() as chromium:
        yield chromium


def new_page(browser, **options):
    context = browser.new_context(viewport={"width": 1000, "height": 800}, **options)
    context.set_default_timeout(20_000)
    return context.new_page()


class Audit:
    """Runs axe on each page visited and keeps every finding, to fail once with all of them."""

    def __init__(self) -> None:
        self.axe = axe_playwright.Axe()
        self.blocking: list[str] = []
        self.other: list[str] = []
        self.pages: list[str] = []

    def check(self, page, label: str) -> None:
        results = self.axe.run(page)
        self.pages.append(label)
        for violation in results.response["violations"]:
            targets = [" ".join(node["target"]) for node in violation["nodes"]][:3]
            line = (f"{label}: {violation['impact']} {violation['id']} "
                    f"({violation['help']}) at {targets}")
            (self.blocking if violation["impact"] in BLOCKING else self.other).append(line)

    def assert_clean(self, minimum_pages: int) -> None:
        print("\naxe checked:", ", ".join(self.pages))
        print("moderate/minor findings:", *self.other or ["none"], sep="\n  ")
        assert len(self.pages) >= minimum_pages
        assert self.blocking == [], "\n".join(self.blocking)


def sign_in(page, base: str, user: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("User").select_option(user)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/profile")


def _seed_items(demo_app) -> None:
    from orcid_pyramid.models import OrcidCall
    from orcid_pyramid.models.sync import OrcidItem

    now = datetime.now(UTC)
    with app_session(demo_app) as session:
        for key, status, error in (("w1", "synced", None), ("w2", "rejected", "No title."),
                                   ("w3", "retrying", "OrcidTimeout: no answer")):
            session.add(OrcidItem(user_id="alice", orcid=SEED_ORCID, section="work",
                                  local_key=key, title=f"Item {key}", status=status,
                                  last_error=error, updated_at=now))
        session.add(OrcidCall(at=now, kind="api", method="GET", url="http://x/v3.0/works",
                              status=None, error="OrcidTimeout", user_id="alice",
                              orcid=SEED_ORCID, request_body="{}", response_body=None))
        session.commit()


def test_every_page_has_no_serious_or_critical_axe_violation(
        demo_app, demo_server, emulator, browser):
    base, sandbox = demo_server.base_url, emulator.base_url
    audit = Audit()
    page = new_page(browser)
    for path, label in (("/", "demo home"), ("/login", "demo sign-in"),
                        ("/people", "demo people"), ("/no/such/page", "demo 404")):
        page.goto(base + path)
        audit.check(page, label)

    sign_in(page, base, "alice")
    audit.check(page, "demo profile (not connected)")
    for path, label in (("/orcid/", "panel (not connected)"), ("/works", "demo works"),
                        ("/import", "demo import (not connected)")):
        page.goto(base + path)
        audit.check(page, label)
    page.goto(base + "/orcid/admin/calls")
    audit.check(page, "demo 403")
    page.goto(base + "/orcid/callback?error=access_denied&state=x")
    audit.check(page, "add-on error (state refused)")

    # connect through the sandbox: its sign-in, register and consent pages
    page.goto(base + "/orcid/")
    page.get_by_role("link", name="Connect your ORCID iD").click()
    page.wait_for_url(re.compile(re.escape(sandbox) + r"/oauth/authorize"))
    audit.check(page, "sandbox sign-in")
    page.locator("#register-link").click()
    page.locator("#register-form").wait_for()
    audit.check(page, "sandbox register")
    page.locator("#register-button").click()  # empty form: the browser's own validation
    page.locator("#signin-link").click()
    page.locator("#username-input").fill(seed.DEMO_EMAIL)
    page.locator("#password").fill("wrong")
    page.locator("#signin-button").click()
    page.locator("#signin-error").wait_for()
    audit.check(page, "sandbox sign-in error")
    page.locator("#password").fill(seed.DEMO_PASSWORD)
    page.locator("#signin-button").click()
    page.locator("#consent-form").wait_for()
    audit.check(page, "sandbox consent")
    page.locator("#authorize-button").click()
    page.wait_for_url(base + "/orcid/")
    assert stored_link(demo_app, "alice") is not None

    _seed_items(demo_app)
    page.reload()
    audit.check(page, "panel (connected, items with errors)")
    for path, label in (("/profile", "demo profile (connected)"), ("/people", "people (iD)"),
                        ("/works", "demo works (connected)"), ("/import", "demo import")):
        page.goto(base + path)
        audit.check(page, label)
    page.get_by_role("button", name="Import my works from ORCID").click()
    page.locator("#prefill").wait_for()
    audit.check(page, "demo import (done)")
    check_without_javascript(browser, page, audit, base, base + "/orcid/connect",
                             "add-on connect interstitial (no JavaScript)")
    page.goto(sandbox + "/signout")
    audit.check(page, "sandbox signed out")
    page.goto(sandbox + "/oauth/authorize?client_id=APP-NOPE&response_type=code")
    audit.check(page, "sandbox error page")

    page.goto(base + "/orcid/disconnect/confirm")  # the page browsers without JavaScript get
    audit.check(page, "add-on disconnect confirmation")

    page.goto(base + "/orcid/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Disconnect your ORCID iD").click()
    page.get_by_role("heading", name="Your ORCID iD is disconnected").wait_for()
    audit.check(page, "add-on disconnected")

    sign_in(page, base, "admin")
    page.goto(base + "/orcid/admin/calls")
    for summary in page.locator("details > summary").all():
        summary.click()
    audit.check(page, "admin call log (bodies open)")
    page.goto(base + "/orcid/admin/items")
    audit.check(page, "admin items")
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(base + "/orcid/admin/calls")
    audit.check(page, "admin call log (phone)")

    spanish = new_page(browser, locale="es-ES")
    sign_in_es(spanish, base)
    for path, label in (("/orcid/", "panel (Spanish)"), ("/orcid/admin/calls",
                                                         "admin call log (Spanish)")):
        spanish.goto(base + path)
        audit.check(spanish, label)
    audit.assert_clean(minimum_pages=30)


def check_without_javascript(browser, page, audit, base: str, url: str, label: str) -> None:
    """A page whose script moves on by itself (the connect interstitial) is audited as a
    browser without JavaScript shows it: loaded with scripting off, then laid out again in
    ``page`` without its scripts and with its ``<noscript>`` content showing (axe itself needs
    JavaScript to run)."""
    nojs = new_page(browser, java_script_enabled=False)
    try:
        sign_in(nojs, base, "alice")
        nojs.goto(url)
        html = nojs.content()
    finally:
        nojs.context.close()
    html = re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.S)
    html = html.replace("<noscript>", "<div>").replace("</noscript>", "</div>")
    page.set_content(html)
    audit.check(page, label)


def sign_in_es(page, base: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("Usuario").select_option("admin")
    page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.wait_for_url(base + "/profile")


# --- keyboard only -----------------------------------------------------------------------------

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const name = (el.getAttribute('aria-label') || el.innerText || el.value || '').trim();
  return {tag: el.tagName.toLowerCase(), id: el.id, name: name,
          ring: style.outlineStyle === 'auto'
                || (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2)};
}"""


def tab_to(page, pattern: str, limit: int = 40) -> dict:
    """Press Tab until the focused element's name matches ``pattern``; every stop on the way
    must show a focus ring."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None:
            continue
        assert focused["ring"], f"no visible focus on {focused}"
        if re.search(pattern, focused["name"]):
            return focused
    raise AssertionError(f"Tab never reached {pattern!r}")


def test_connect_and_disconnect_with_the_keyboard_alone(demo_app, demo_server, emulator,
                                                        browser, tmp_path):
    base = demo_server.base_url
    page = new_page(browser)
    page.goto(base + "/login")
    tab_to(page, r"^Skip to the content$")
    tab_to(page, r"^alice")  # the user list
    page.keyboard.type("alice")
    tab_to(page, r"^$|demo-password")  # the password field
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/profile")

    tab_to(page, r"^ORCID settings$")
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/orcid/")
    tab_to(page, r"^Connect your ORCID iD$")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(re.escape(emulator.base_url) + r"/oauth/authorize"))

    tab_to(page, r"")  # the email field, pre-filled
    assert page.evaluate("document.activeElement.id") == "username-input"
    page.keyboard.press("Tab")
    page.keyboard.type(seed.DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.locator("#consent-form").wait_for()
    tab_to(page, r"^Authorize access$")
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/orcid/")
    assert stored_link(demo_app, "alice").orcid == SEED_ORCID

    page.once("dialog", lambda dialog: dialog.accept())
    tab_to(page, r"^Disconnect your ORCID iD$")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Your ORCID iD is disconnected").wait_for()
    assert stored_link(demo_app, "alice") is None
    tab_to(page, r"^Back to your ORCID settings$")
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/orcid/")
    shots = Path(os.environ.get("ORCID_SCREENSHOT_DIR") or tmp_path)
    tab_to(page, r"^Connect your ORCID iD$")
    page.screenshot(path=str(shots / "keyboard-focus-connect.png"))
