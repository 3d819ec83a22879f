"""The steps of the production rehearsal (``test_production_rehearsal.py``): what the
researcher does in Chromium on the deployed demo, and what the test reads from ORCID (the
emulator) and the database to check the site's promises."""

from __future__ import annotations

import re

import requests

USER = "alice"  # the demo account whose email is the researcher's below
RESEARCHER_EMAIL = "josiah.carberry@example.org"
WORK_TITLES = {"The Semiotics of the Lost Umbrella",
               "Toward a Unified Theory of High-Energy Metaphysics"}


# --- what a person does in the browser --------------------------------------------------------

def sign_in(page, site, password: str) -> None:
    """The demo's sign-in page, as the demo account."""
    from playwright.sync_api import expect

    page.goto(site.base_url + "/login")
    page.get_by_label("User").select_option(USER)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name=f"Sign out {USER}")).to_be_visible()


def connect(page, site, emulator, password: str) -> None:
    """ORCID settings -> Connect -> ORCID's sign-in (over HTTPS) -> Authorize -> the panel."""
    from playwright.sync_api import expect

    page.get_by_role("link", name="ORCID settings", exact=True).click()
    panel_url = page.url
    page.get_by_role("link", name="Connect your ORCID iD").click()
    page.wait_for_url(re.compile(re.escape(emulator.base_url) + r"/oauth/authorize\?"))
    expect(page.locator("#username-input")).to_have_value(RESEARCHER_EMAIL)
    page.locator("#password").fill(password)
    page.locator("#signin-button").click()
    page.locator("#authorize-button").click()
    page.wait_for_url(panel_url)
    expect(page.get_by_role("status")).to_contain_text("Your ORCID iD is connected.")


def send_works(page, site) -> None:
    """The works page's button: the works and the employment are queued for the worker, and
    the page says so for each of the three (nothing is on ORCID for this link yet: after a
    disconnect, the site forgot what it had sent)."""
    from playwright.sync_api import expect

    page.goto(site.base_url + "/works")
    page.get_by_role("button", name="Send my works and employment to ORCID").click()
    expect(page.locator("main")).to_contain_text("are queued for ORCID")
    expect(page.locator("td", has_text=re.compile(r"^waiting to be sent$"))).to_have_count(3)


def assert_sent(page, site) -> None:
    """The works page says each of the three items is in ORCID (after the worker ran)."""
    from playwright.sync_api import expect

    page.goto(site.base_url + "/works")
    expect(page.locator("td", has_text=re.compile(r"^in ORCID$"))).to_have_count(3)


def disconnect(page, site) -> str:
    """The panel's Disconnect, confirmed; returns what the disconnected page says."""
    from playwright.sync_api import expect

    page.get_by_role("link", name="ORCID settings", exact=True).click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Disconnect your ORCID iD").click()
    expect(page.get_by_role("heading", name="Your ORCID iD is disconnected")).to_be_visible()
    return page.locator("main").inner_text()


# --- what ORCID and the database hold ---------------------------------------------------------

def stored_tokens(site, key: str) -> tuple[str, str]:
    """The researcher's access and refresh token, decrypted from the database with ``key``
    (the plaintexts the scans look for, and the proof ``key`` reads them)."""
    from sqlalchemy import create_engine, text

    from orcid_pyramid.crypto import TokenCipher

    engine = create_engine(site.env["DATABASE_URL"])
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT access_token_enc, refresh_token_enc FROM "
                                     "orcid_links WHERE user_id = :u"), {"u": USER}).all()
    finally:
        engine.dispose()
    assert len(rows) == 1, rows
    cipher = TokenCipher([key])
    return cipher.decrypt(rows[0][0]), cipher.decrypt(rows[0][1])


def rows_in(site, table: str) -> int:
    """How many rows ``table`` holds (``orcid_links``, ``orcid_pending_revocations``)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(site.env["DATABASE_URL"])
    try:
        with engine.connect() as conn:
            return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    finally:
        engine.dispose()


def token_answer(emulator, orcid: str, access_token: str) -> int:
    """The status ORCID's member API gives a read with ``access_token`` (401: revoked)."""
    return requests.get(f"{emulator.base_url}/api/v3.0/{orcid}/record", timeout=10,
                        headers={"Authorization": f"Bearer {access_token}",
                                 "Accept": "application/json"}).status_code


def refresh_answer(emulator, env: dict, refresh_token: str) -> int:
    """The status of a refresh grant with ``refresh_token`` (an error: it died with its
    access token)."""
    return requests.post(f"{emulator.base_url}/oauth/token", timeout=10, data={
        "grant_type": "refresh_token", "refresh_token": refresh_token,
        "client_id": env["ORCID_CLIENT_ID"], "client_secret": env["ORCID_CLIENT_SECRET"]},
        headers={"Accept": "application/json"}).status_code


def our_items(control, orcid: str, client_id: str) -> dict[str, list]:
    """The works and employments this client wrote on the record."""
    sections = control.record(orcid)["sections"]
    return {name: [i for i in sections[name] if i["source-client-id"] == client_id]
            for name in ("works", "employments")}


def assert_each_once(items: dict[str, list]) -> None:
    """Each work and the employment is on the record exactly once."""
    titles = [w["item"]["title"]["title"]["value"] for w in items["works"]]
    assert sorted(titles) == sorted(WORK_TITLES), f"works on the record: {titles}"
    assert len(items["employments"]) == 1, items["employments"]
