"""The panel and the iD display wherever the person appears (CC-DISPLAY, BP-6)."""

from __future__ import annotations

import re

from orcid_pyramid.compliance.fixtures.app import SEED_ORCID, connect_via_emulator, local_path

FULL_URI = f"https://sandbox.orcid.org/{SEED_ORCID}"


def _id_links(text: str) -> list[str]:
    return re.findall(r'<a class="orcid-id"[^>]*>.*?</a>', text, re.S)


def test_not_connected_panel_shows_orcids_connect_button(testapp, login, emulator):
    """BP-6, CC-AUTH: "Connect your ORCID iD" with the green iD icon, what ORCID is and what
    the site will do; no iD shown."""
    login("alice")
    page = testapp.get("/orcid/")
    assert "Connect your ORCID iD" in page.text
    button = re.search(r'<a class="orcid-button" href="([^"]+)" id="orcid-connect">(.*?)</a>',
                       page.text, re.S)
    assert button and button.group(1) == "http://localhost/orcid/connect"
    # the icon is decoration here: the label says "ORCID iD" (fails on main: alt="ORCID iD icon",
    # read out along with the label)
    assert 'alt=""' in button.group(2) and "ORCID iD icon" not in button.group(2)
    assert "persistent digital identifier" in page.text
    assert "add your works and affiliations to your ORCID record" in page.text
    assert not _id_links(page.text)
    assert testapp.get("/orcid-static/orcid-id.svg").content_type == "image/svg+xml"


def test_connected_panel_shows_the_full_id_display_and_permissions(testapp, login, emulator):
    """BP-6, CC-DISPLAY: icon + full https URI as link text, linked to the record, with
    aria-label and alt text; name, permissions in words, date, and a Disconnect form."""
    login("alice")
    connect_via_emulator(testapp, emulator)
    page = testapp.get("/orcid/")
    links = _id_links(page.text)
    assert len(links) == 1
    link = links[0]
    assert f'href="{FULL_URI}"' in link
    assert '<img src="http://localhost/orcid-static/orcid-id.svg" alt="ORCID iD icon"' in link
    assert link.endswith(f">{FULL_URI}</a>")
    assert 'aria-label="ORCID record of Josiah Carberry: ' in link
    assert "Josiah Carberry" in page.text
    assert "add and update research activities" in page.text
    assert "read information on your ORCID record" in page.text
    assert re.search(r"<dt>Connected</dt><dd>\d{1,2} \w+ \d{4}</dd>", page.text)
    form = re.search(r'<form method="post" action="http://localhost/orcid/disconnect"(.*?)</form>',
                     page.text, re.S)
    assert form and 'name="csrf_token"' in form.group(1)
    assert 'data-orcid-confirm="Disconnect your ORCID iD from the orcid-pyramid demo?"' \
        in form.group(0)


def test_disconnect_confirmation_needs_no_inline_script(testapp, login, emulator):
    """BP-3 confirmation, CSP-friendly: no inline handler or script anywhere on the panel; the
    confirm() lives in a static file, which also shows the (hidden) form; without JavaScript
    the <noscript> link opens a confirmation page whose form disconnects."""
    login("alice")
    connect_via_emulator(testapp, emulator)
    page = testapp.get("/orcid/")
    assert not re.search(r"\son[a-z]+\s*=", page.text), "an inline event handler"
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", page.text), "an inline script"
    assert not re.search(r"<style", page.text), "an inline style sheet"
    script = re.search(r'<script src="([^"]+orcid-panel\.js)"', page.text)
    assert script, "the panel does not load orcid-panel.js"
    js = testapp.get(local_path(script.group(1))).text
    assert "window.confirm" in js and "data-orcid-confirm" in js and "preventDefault" in js
    assert "form.hidden = false" in js
    assert re.search(r'<form method="post" action="http://localhost/orcid/disconnect"[^>]*'
                     r'\bhidden>', page.text), "the form shows before the script can confirm"
    fallback = re.search(r"<noscript>(.*?)</noscript>", page.text, re.S)
    link = re.search(r'href="([^"]+)">Disconnect your ORCID iD…</a>', fallback.group(1))
    assert link and link.group(1) == "http://localhost/orcid/disconnect"
    confirm = testapp.get(local_path(link.group(1)))
    assert "<h1>Disconnect your ORCID iD from the orcid-pyramid demo?</h1>" in confirm.text
    assert SEED_ORCID in confirm.text  # which iD, shown with the iD display
    assert 'href="http://localhost/orcid/">No, keep it connected</a>' in confirm.text
    done = confirm.forms["orcid-disconnect-confirm"].submit()
    assert "Your ORCID iD is disconnected" in done.text
    # with nothing connected the confirmation page just goes back to the panel
    assert testapp.get("/orcid/disconnect").location == "http://localhost/orcid/"


def test_id_display_appears_wherever_the_person_appears(testapp, login, emulator):
    """CC-DISPLAY: the host's own pages use the macro (profile, people list)."""
    login("alice")
    connect_via_emulator(testapp, emulator)
    for path in ("/profile", "/people"):
        links = _id_links(testapp.get(path).text)
        assert len(links) == 1 and f'href="{FULL_URI}"' in links[0], path


def test_unlinked_people_get_no_icon(testapp, login, emulator):
    """BP-6: only authenticated iDs carry the icon; people without a link show none."""
    login("bob")
    page = testapp.get("/people")
    assert not _id_links(page.text)
    assert "ORCID iD icon" not in page.text


def test_panel_lists_items_and_their_status_from_sync(testapp, demo_app, login, emulator):
    """The user sees what was sent to ORCID and each item's state (sync's status words)."""
    from orcid_pyramid.compliance.fixtures.app import app_registry, csrf_token
    from orcid_pyramid.sync.worker import Worker

    login("alice")
    connect_via_emulator(testapp, emulator)
    works = testapp.get("/works")
    testapp.post("/works/push", {"csrf_token": csrf_token(works.text)})
    panel = testapp.get("/orcid/")
    assert "The Semiotics of the Lost Umbrella" in panel.text
    assert "waiting to be sent" in panel.text
    registry = app_registry(demo_app)
    Worker(registry["orcid.dbengine"], registry["orcid.settings"]).run_once()
    panel = testapp.get("/orcid/")
    assert panel.text.count("in ORCID") == 3  # two works and the demo employment
    record = emulator.control.record(SEED_ORCID)
    assert "The Semiotics of the Lost Umbrella" in str(record)


def test_host_can_override_a_template(emulator, app_db_url, tmp_path):
    """Templates are assets the host overrides (config.override_asset)."""
    from pyramid.config import Configurator
    from pyramid.session import SignedCookieSessionFactory
    from webtest import TestApp

    from orcid_pyramid.compliance.fixtures.app import login_as, make_app_settings
    from orcid_pyramid.demo.users import DemoSecurityPolicy

    (tmp_path / "panel.jinja2").write_text("OVERRIDDEN {{ link }}")
    config = Configurator(settings=make_app_settings(emulator, app_db_url))
    config.set_session_factory(SignedCookieSessionFactory("x" * 32))
    config.set_security_policy(DemoSecurityPolicy())
    config.include("orcid_pyramid")
    config.include("orcid_pyramid.demo.views")
    config.override_asset("orcid_pyramid:templates/panel.jinja2", str(tmp_path / "panel.jinja2"))
    app = TestApp(config.make_wsgi_app())
    login_as(app, "alice")
    assert app.get("/orcid/").text == "OVERRIDDEN None"
    config.registry["orcid.dbengine"].dispose()


def test_every_member_api_call_uses_the_v3_schema(testapp, demo_app, login, emulator):
    """REV-1: what the site sends to the member API goes to /v3.0/ and ORCID accepts it."""
    from orcid_pyramid.compliance.fixtures.app import app_registry, csrf_token
    from orcid_pyramid.sync.worker import Worker

    login("alice")
    connect_via_emulator(testapp, emulator)
    before = len(emulator.control.calls())
    testapp.post("/works/push", {"csrf_token": csrf_token(testapp.get("/works").text)})
    registry = app_registry(demo_app)
    Worker(registry["orcid.dbengine"], registry["orcid.settings"]).run_once()
    api_calls = [c for c in emulator.control.calls()[before:] if c["host"] == "api"]
    assert api_calls
    assert all(re.match(r"^(/api)?/v3\.0/", c["path"]) for c in api_calls), api_calls
    assert all(c["status"] < 400 for c in api_calls), api_calls


def test_sandbox_environment_uses_https_everywhere(app_db_url):
    """DM-2: outside the loopback emulator, ORCID is reached over https only (authorize,
    sign-out, token) and the startup lint refuses plain http."""
    from webtest import TestApp

    from orcid_pyramid.compliance.fixtures.app import authorize_request, login_as
    from orcid_pyramid.crypto import generate_key
    from orcid_pyramid.demo import main

    app = main({}, **{
        "orcid.environment": "sandbox", "orcid.client_id": "APP-DEMOCLIENT000001",
        "orcid.client_secret": "x-secret-value", "orcid.support_email": "s@example.org",
        "orcid.token_key": generate_key(), "orcid.sqlalchemy.url": app_db_url,
        "orcid.create_tables": "true", "demo.session_secret": "s" * 32,
        "orcid.redirect_uri": "https://site.example/orcid/callback"})
    web = TestApp(app, extra_environ={"HTTP_HOST": "site.example", "wsgi.url_scheme": "https",
                                      "HTTP_REFERER": "https://site.example/login"})
    login_as(web, "alice")
    page = web.get("/orcid/connect").text
    auth = authorize_request(page)
    assert auth.url.startswith("https://sandbox.orcid.org/oauth/authorize?")
    assert auth.params["redirect_uri"] == "https://site.example/orcid/callback"
    assert 'data-signout-url="https://sandbox.orcid.org/userStatus.json?logUserOut=true"' in page
    assert app.registry["orcid.client"].endpoints.token_url == "https://sandbox.orcid.org/oauth/token"
    app.registry["orcid.dbengine"].dispose()


def test_rejected_item_shows_orcids_reason_and_the_support_contact(testapp, demo_app, login,
                                                                   emulator):
    """DM-8 (validation error on a write): the item's status carries ORCID's message and the
    panel names the support contact."""
    from datetime import UTC, datetime

    from orcid_pyramid.compliance.fixtures.app import app_session
    from orcid_pyramid.models.sync import OrcidItem

    login("alice")
    connect_via_emulator(testapp, emulator)
    with app_session(demo_app) as session:
        session.add(OrcidItem(user_id="alice", orcid=SEED_ORCID, section="work",
                              local_key="bad-1", title="A work ORCID refused", status="rejected",
                              last_error="The title is missing.", updated_at=datetime.now(UTC)))
        session.commit()
    panel = testapp.get("/orcid/").text
    # the section in words (fails on main: <td>work</td>)
    assert "<td>Work</td><td>A work ORCID refused</td>" in panel
    assert "rejected by ORCID: The title is missing." in panel
    assert panel.count("The title is missing.") == 1  # ORCID's message, said once
    assert 'class="orcid-support"' in panel and "support@example.org" in panel
