"""Every demo user can connect (issue 14), in Chromium against ``pserve development.ini``.

bob's email is unknown to the sandbox, so ORCID's Register page opens, pre-filled from the demo
account; registering creates a sandbox record and connects it. carol takes the other way the
page offers, "Already have an ORCID iD? Sign in", with the seeded researcher's account that
alice has connected: the site says the iD is already connected to another account.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.subprocess, pytest.mark.slow]

PASSWORD = "demo-password"
SEED_EMAIL = "josiah.carberry@example.org"
SEED_ORCID = "0000-0002-1825-0097"


def sign_in_to_demo(page, server, user: str) -> None:
    """The demo's own sign-in page, as ``user``."""
    page.goto(server.base_url + "/login")
    page.get_by_label("User").select_option(user)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name=f"Sign out {user}")).to_be_visible()


def start_connect(page, server) -> str:
    """ORCID settings -> Connect -> the sandbox's authorize page; returns the panel's URL."""
    page.get_by_role("link", name="ORCID settings").click()
    panel_url = page.url
    page.get_by_role("link", name="Connect your ORCID iD").click()
    page.wait_for_url(re.compile(re.escape(server.base_url) + r"/sandbox/oauth/authorize\?"))
    return panel_url


def sign_in_at_orcid(page, email: str) -> None:
    """The sandbox's sign-in form."""
    page.get_by_label("Email or ORCID iD").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in to ORCID").click()


def test_bob_registers_a_sandbox_account_and_connects(page, quickstart_server, tmp_path):
    """bob (unknown to the sandbox) registers on its Register page and comes back connected."""
    server = quickstart_server
    sign_in_to_demo(page, server, "bob")
    panel_url = start_connect(page, server)
    expect(page.get_by_role("heading", name="Register for an ORCID iD")).to_be_visible()
    expect(page.get_by_label("First name")).to_have_value("Bob")
    expect(page.get_by_label("Last name")).to_have_value("Example")
    expect(page.get_by_label("Email")).to_have_value("bob@example.org")
    page.get_by_label("Password (8 characters or more)").fill(PASSWORD)
    page.get_by_role("button", name="Register").click()
    expect(page.locator("#signed-in-name")).to_have_text("Bob Example")
    page.get_by_role("button", name="Authorize access").click()

    page.wait_for_url(panel_url)
    expect(page.get_by_role("status")).to_contain_text("Your ORCID iD is connected.")
    id_link = page.locator("a.orcid-id")
    expect(id_link).to_have_text(re.compile(r"^https://sandbox\.orcid\.org/0009-"))
    name = page.locator("dt", has_text="Name on ORCID").locator("xpath=following-sibling::dd[1]")
    expect(name).to_have_text("Bob Example")
    page.screenshot(path=str(tmp_path / "bob-connected.png"), full_page=True)


def test_sign_in_link_on_register_page_reaches_an_id_already_linked(page, quickstart_server):
    """alice connects the seeded iD; carol, on the Register page, follows "Already have an ORCID
    iD? Sign in", signs in with that account and is told it belongs to another account."""
    server = quickstart_server
    sign_in_to_demo(page, server, "alice")
    start_connect(page, server)
    expect(page.get_by_label("Email or ORCID iD")).to_have_value(SEED_EMAIL)
    sign_in_at_orcid(page, SEED_EMAIL)
    page.get_by_role("button", name="Authorize access").click()
    expect(page.locator("a.orcid-id")).to_have_text(f"https://sandbox.orcid.org/{SEED_ORCID}")
    page.get_by_role("button", name="Sign out alice").click()

    sign_in_to_demo(page, server, "carol")
    start_connect(page, server)
    expect(page.get_by_role("heading", name="Register for an ORCID iD")).to_be_visible()
    page.get_by_role("link", name="Sign in").click()
    expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
    # alice's live grant covers the scopes, so ORCID skips its consent page and goes straight back
    sign_in_at_orcid(page, SEED_EMAIL)

    expect(page.get_by_role("heading", name="We could not connect your ORCID iD")).to_be_visible()
    expect(page.locator("main")).to_contain_text("already connected to another account")
    assert page.url.startswith(server.base_url) and "/sandbox/" not in page.url, page.url
