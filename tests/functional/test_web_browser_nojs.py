"""In Chromium with JavaScript OFF: the connect interstitial still signs the browser out of
ORCID before ORCID's page opens (BP-2, also without openid, where ORCID ignores prompt=login),
and Disconnect still asks for confirmation (a confirmation page instead of the dialog)."""

from __future__ import annotations

import pytest

from orcid_pyramid.compliance.browser import NO_CHROMIUM, chromium_path, launch_chromium
from orcid_pyramid.compliance.fixtures.app import DEMO_PASSWORD, SEED_ORCID, serve, stored_link

pytestmark = pytest.mark.browser

EMAIL = "josiah.carberry@example.org"


@pytest.fixture
def nojs_page():
    """A fresh Chromium tab with scripting disabled."""
    if chromium_path() is None:
        pytest.skip(NO_CHROMIUM)
    with launch_chromium() as browser:
        context = browser.new_context(java_script_enabled=False,
                                      viewport={"width": 1000, "height": 760})
        context.set_default_timeout(20_000)
        yield context.new_page()
        context.close()


def orcid_signed_in(page, emulator) -> bool:
    """What ORCID's own userStatus.json says about this browser (its cookies)."""
    answer = page.request.get(emulator.base_url + "/userStatus.json")
    assert answer.ok, answer.status
    return answer.json()["loggedIn"]


def sign_in_to_demo(page, base: str) -> None:
    page.goto(base + "/login")
    page.select_option("select[name=username]", "alice")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form:has([name=password]) [type=submit]")
    page.wait_for_url(base + "/profile")


def test_without_javascript_or_openid_the_browser_is_signed_out_of_orcid_first(
        demo_app_factory, emulator, nojs_page):
    """BP-2: a browser still signed in to ORCID (from an earlier connection) comes to the
    interstitial with JavaScript off; once the page has loaded ORCID says it is signed out,
    and Continue shows ORCID's sign-in form, not a consent for the old session's iD."""
    app = demo_app_factory(**{"orcid.features": "collect connect-activities"})
    server = serve(app)
    page = nojs_page
    try:
        base = server.base_url
        sign_in_to_demo(page, base)
        # a first connection leaves this browser signed in to ORCID
        page.goto(base + "/orcid/connect")
        page.click("#orcid-continue")
        assert page.input_value("#username-input") == EMAIL
        page.fill("#password", DEMO_PASSWORD)
        page.click("#signin-button")
        page.click("#authorize-button")
        page.wait_for_url(base + "/orcid/")
        assert stored_link(app, "alice").orcid == SEED_ORCID
        assert "prompt=" not in (emulator.control.calls()[-1].get("query") or "")

        # Disconnect without JavaScript: the panel's form stays hidden, a link opens the
        # confirmation page, and only its button disconnects
        assert not page.locator("#orcid-disconnect").is_visible()
        page.click("#orcid-disconnect-nojs")
        page.wait_for_selector("text=Disconnect your ORCID iD from the orcid-pyramid demo?")
        assert stored_link(app, "alice") is not None
        page.click("#orcid-disconnect-confirm button[type=submit]")
        page.wait_for_selector("text=Your ORCID iD is disconnected")
        assert stored_link(app, "alice") is None

        assert orcid_signed_in(page, emulator), "the test needs a live ORCID session here"
        page.goto(base + "/orcid/connect")  # waits for "load": images included
        assert not orcid_signed_in(page, emulator), "the interstitial did not sign out"
        page.click("#orcid-continue")
        page.wait_for_selector("#signin-form")
        assert page.locator("#consent-form").count() == 0
    finally:
        server.stop()
