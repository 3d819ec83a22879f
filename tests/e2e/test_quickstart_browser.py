"""The README quick start, end to end: a person signs in to the demo served by
``pserve development.ini``, connects the demo researcher's ORCID iD through the emulated sandbox
in headless Chromium, sees it displayed, disconnects it, and (separately) denies access.

Assertions are on what the person sees (text, the icon's alt text, link targets) and on the
server's effects (the SQLite file the quick start created).
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.subprocess, pytest.mark.slow]

SEED_ORCID = "0000-0002-1825-0097"
ORCID_URI = f"https://sandbox.orcid.org/{SEED_ORCID}"
RESEARCHER_NAME = "Josiah Carberry"
RESEARCHER_EMAIL = "josiah.carberry@example.org"
DEMO_USER = "alice"
PASSWORD = "demo-password"
SUPPORT_EMAIL = "support@example.org"  # orcid.support_email in development.ini


# --- what the server stored ------------------------------------------------------------------

def link_rows(server, user_id: str = DEMO_USER) -> list[dict]:
    """The ``orcid_links`` rows of ``user_id``, read straight from the quick start's SQLite file."""
    uri = f"file:{server.db_path}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=10)) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in
                db.execute("SELECT * FROM orcid_links WHERE user_id = ?", (user_id,))]


def stored_access_token(server, ciphertext: str) -> str:
    """Decrypt a stored token with the key the served app uses (derived from the ini), to learn
    the plaintext that must appear nowhere in the database or the log."""
    from pyramid.paster import get_appsettings

    from orcid_pyramid.crypto import TokenCipher
    from orcid_pyramid.settings import load_settings

    settings = load_settings(dict(get_appsettings(str(server.ini_path))))
    return TokenCipher.from_settings(settings).decrypt(ciphertext)


# --- steps a person takes ----------------------------------------------------------------------

def sign_in_to_demo(page, server) -> None:
    """Home page -> Sign in as the account the home page names -> signed in."""
    page.goto(server.base_url + "/")
    home = page.locator("main").inner_text()
    assert DEMO_USER in home and PASSWORD in home, f"the home page names no demo login:\n{home}"
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("User").select_option(DEMO_USER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name=f"Sign out {DEMO_USER}")).to_be_visible()


def open_panel(page) -> str:
    """The nav link to the add-on's panel; returns the panel's URL."""
    page.get_by_role("link", name="ORCID settings").click()
    expect(page.get_by_role("heading", name="Your ORCID iD", level=1)).to_be_visible()
    return page.url


def disconnect(page, server) -> str:
    """Press Disconnect, accept the confirmation; returns the confirmation's question."""
    questions = []

    def accept(dialog):
        questions.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.get_by_role("button", name="Disconnect your ORCID iD").click()
    expect(page.get_by_role("heading", name="Your ORCID iD is disconnected")).to_be_visible()
    assert questions, "Disconnect did not ask for confirmation"
    return questions[0]


@pytest.fixture
def panel(page, quickstart_server):
    """alice signed in, on the ORCID panel, with no iD connected (an earlier test in this module
    may have left one connected: it is disconnected through the page first)."""
    sign_in_to_demo(page, quickstart_server)
    url = open_panel(page)
    # The Disconnect form is hidden until the panel's deferred script shows it, and the heading
    # is visible before that: wait for one of the two states before asking which it is.
    disconnect_button = page.get_by_role("button", name="Disconnect your ORCID iD")
    expect(page.locator("#orcid-connect").or_(disconnect_button)).to_be_visible()
    if disconnect_button.count():
        disconnect(page, quickstart_server)
        page.goto(url)
    expect(page.locator("#orcid-connect")).to_have_text("Connect your ORCID iD")
    return url


def go_to_orcid_sign_in(page, server) -> list[tuple[str, str]]:
    """Click Connect and follow the forced ORCID sign-out to the sandbox's sign-in page.
    Returns the browser's (event, url) log from the click on."""
    events: list[tuple[str, str]] = []

    def on_request(request):
        events.append(("request", request.url))

    def on_response(response):
        events.append(("response", response.url))

    page.on("request", on_request)
    page.on("response", on_response)
    try:
        page.get_by_role("link", name="Connect your ORCID iD").click()
        page.wait_for_url(re.compile(re.escape(server.base_url) + r"/sandbox/oauth/authorize\?"))
    finally:
        page.remove_listener("request", on_request)
        page.remove_listener("response", on_response)
    expect(page.locator("#sandbox-label")).to_have_text("ORCID Sandbox (emulated)")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    return events


def assert_signed_out_first(events) -> None:
    """The connect page, then ORCID's answer to the sign-out request, then the authorize page.
    (The page moves on once the answer's headers arrive; its body may be cut off.)"""
    urls = list(events)

    def first(kind, pattern):
        for index, (k, url) in enumerate(urls):
            if k == kind and re.search(pattern, url):
                return index
        raise AssertionError(f"no {kind} matching {pattern} in {urls}")

    connect = first("request", r"/connect(\?|$)")
    signout_done = first("response", r"/sandbox/userStatus\.json\?.*logUserOut=true")
    authorize = first("request", r"/sandbox/oauth/authorize\?")
    assert connect < signout_done < authorize, urls


def orcid_session_signed_in(page, server) -> bool:
    """Whether this browser is signed in to the (emulated) ORCID, as ORCID's own
    ``userStatus.json`` tells it, with the browser's cookies."""
    answer = page.request.get(server.base_url + "/sandbox/userStatus.json")
    assert answer.ok, answer.status
    return answer.json()["loggedIn"]


def sign_in_at_orcid(page) -> None:
    """The sandbox sign-in page: the email is pre-filled from the demo account; add the
    password."""
    expect(page.locator("#username-input")).to_have_value(RESEARCHER_EMAIL)
    page.locator("#password").fill(PASSWORD)
    page.locator("#signin-button").click()
    expect(page.get_by_role("heading", name="Authorize access")).to_be_visible()
    expect(page.locator("#signed-in-orcid")).to_contain_text(SEED_ORCID)


def connect_through_orcid(page, server, panel_url: str) -> list[tuple[str, str]]:
    """Connect -> sign-out -> sandbox sign-in -> Authorize -> back on the panel."""
    events = go_to_orcid_sign_in(page, server)
    sign_in_at_orcid(page)
    page.locator("#authorize-button").click()
    page.wait_for_url(panel_url)
    return events


# --- the tests ---------------------------------------------------------------------------------

def test_connect_shows_authenticated_id(page, quickstart_server, panel, tmp_path):
    """The issue's sentence: a new user connects the demo researcher's iD in the browser."""
    server = quickstart_server
    assert not server.db_existed_before_start and server.db_path.exists(), \
        "the SQLite file should be created by the first start"
    assert link_rows(server) == []

    events = connect_through_orcid(page, server, panel)
    assert_signed_out_first(events)

    expect(page.get_by_role("status")).to_contain_text("Your ORCID iD is connected.")
    id_link = page.locator("a.orcid-id")
    expect(id_link).to_have_count(1)
    expect(id_link).to_have_text(ORCID_URI)
    expect(id_link).to_have_attribute("href", ORCID_URI)
    icon = id_link.get_by_role("img", name="ORCID iD icon")
    expect(icon).to_be_visible()
    assert icon.evaluate("img => img.complete && img.naturalWidth > 0"), "iD icon did not load"
    name = page.locator("dt", has_text="Name on ORCID").locator("xpath=following-sibling::dd[1]")
    expect(name).to_have_text(RESEARCHER_NAME)
    expect(page.get_by_role("button", name="Disconnect your ORCID iD")).to_be_visible()
    shot = tmp_path / "panel-connected.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot of the connected panel: {shot}")

    rows = link_rows(server)
    assert len(rows) == 1 and rows[0]["orcid"] == SEED_ORCID, rows
    row = rows[0]
    assert row["access_token_enc"], "no access token stored"
    token = stored_access_token(server, row["access_token_enc"])
    assert len(token) >= 16, "the decrypted access token looks wrong"
    for column in ("access_token_enc", "refresh_token_enc"):
        assert token not in (row[column] or ""), f"{column} holds the access token in plaintext"
    assert token.encode() not in server.db_path.read_bytes(), \
        "the access token is somewhere in the SQLite file in plaintext"
    assert token not in server.log_text(), "the access token is in the server log"


def test_disconnect_shows_connect_again(page, quickstart_server, panel):
    """Connect, then Disconnect (cancel once, then confirm): the panel offers Connect again."""
    server = quickstart_server
    connect_through_orcid(page, server, panel)
    assert len(link_rows(server)) == 1

    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Disconnect your ORCID iD").click()
    expect(page.locator("a.orcid-id")).to_have_text(ORCID_URI)
    assert len(link_rows(server)) == 1, "cancelling the confirmation disconnected anyway"

    question = disconnect(page, server)
    assert question.startswith("Disconnect your ORCID iD from"), question
    expect(page.locator("main")).to_contain_text("no longer has permission")
    expect(page.locator("main")).not_to_contain_text("ORCID did not answer")
    assert link_rows(server) == []

    page.get_by_role("link", name="Back to your ORCID settings").click()
    page.wait_for_url(panel)
    expect(page.locator("#orcid-connect")).to_have_text("Connect your ORCID iD")
    expect(page.locator("a.orcid-id")).to_have_count(0)


def test_deny_explains_and_offers_retry(page, quickstart_server, panel, tmp_path):
    """Deny on ORCID's consent page: a plain explanation, the support contact, a way back."""
    server = quickstart_server
    go_to_orcid_sign_in(page, server)
    sign_in_at_orcid(page)
    page.locator("#deny-button").click()

    heading = page.get_by_role("heading", name="You chose not to connect your ORCID iD")
    expect(heading).to_be_visible()
    assert page.url.startswith(server.base_url) and "/sandbox/" not in page.url, page.url
    support = page.get_by_role("link", name=SUPPORT_EMAIL)
    expect(support).to_have_attribute("href", f"mailto:{SUPPORT_EMAIL}")
    assert link_rows(server) == []
    shot = tmp_path / "denied.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot of the denied page: {shot}")

    # Trying again goes through the forced sign-out again: this browser is signed in to ORCID
    # (as the researcher who just denied) until the Connect page signs it out.
    assert orcid_session_signed_in(page, server)
    events = go_to_orcid_sign_in(page, server)
    assert_signed_out_first(events)
    assert not orcid_session_signed_in(page, server)
    expect(page.locator("#username-input")).to_have_value(RESEARCHER_EMAIL)
