"""What the add-on's pages say and how they sit in the host's site: ``orcid.site_name`` in the
sentences, ``orcid.layout`` (the host's base template around the add-on's pages), the neutral
"you chose not to connect" notice (DM-8), and the no-JavaScript sign-out (BP-2)."""

from __future__ import annotations

import html
import re

import pytest
from webtest import TestApp

from orcid_pyramid.compliance.fixtures.app import authorize_request, connect_via_emulator, login_as

SITE = "Example University Library"


@pytest.fixture
def make_testapp(demo_app_factory):
    """``make(**settings)`` -> a WebTest client of a demo app with those settings."""
    return lambda **overrides: TestApp(demo_app_factory(**overrides),
                                       extra_environ={"HTTP_HOST": "localhost"})


def _text(page) -> str:
    """The page's words, tags dropped, whitespace collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page.text)))


def test_site_name_is_used_in_the_panel_and_connect_texts(make_testapp, emulator):
    """orcid.site_name names the host in the connect invitation, the interstitial, the
    connected panel, the Disconnect confirmation and the deny notice."""
    app = make_testapp(**{"orcid.site_name": SITE})
    login_as(app, "alice")
    words = _text(app.get("/orcid/"))
    assert f"Connect your ORCID iD so that {SITE} can show your authenticated ORCID iD" in words
    interstitial = app.get("/orcid/connect")
    assert f"{SITE} is connected to the right ORCID iD" in _text(interstitial)
    auth = authorize_request(interstitial.text)
    denied = app.get("/orcid/callback", {"error": "access_denied", "state": auth.state},
                     status=403)
    assert f"Nothing was shared with {SITE}" in _text(denied)
    connect_via_emulator(app, emulator)
    panel = app.get("/orcid/")
    words = _text(panel)
    assert f"You allowed {SITE} to" in words
    assert f"What {SITE} sent to your ORCID record" in words
    assert f'data-orcid-confirm="Disconnect your ORCID iD from {SITE}?"' in panel.text
    assert "this site" not in words


def test_site_name_defaults_to_this_site(make_testapp, emulator):
    """Without orcid.site_name (the demo sets its own, so it is blanked here) the sentences
    read "this site", capitalised where a sentence starts with it."""
    app = make_testapp(**{"orcid.site_name": ""})
    login_as(app, "alice")
    assert "so that this site can show" in _text(app.get("/orcid/"))
    connect_via_emulator(app, emulator)
    panel = app.get("/orcid/")
    assert "You allowed this site to" in _text(panel)
    form = panel.forms["orcid-disconnect"]
    done = form.submit()
    assert "This site no longer has permission" in _text(done)


def test_the_add_on_pages_carry_the_hosts_navigation(testapp, login, emulator):
    """orcid.layout (the demo names its base.jinja2): the panel, the interstitial and an error
    page have the demo's header and navigation back to Home and Profile."""
    login("alice")
    pages = {
        "panel": testapp.get("/orcid/"),
        "connect": testapp.get("/orcid/connect"),
        "error": testapp.get("/orcid/callback", {"state": "forged", "code": "x"}, status=400),
    }
    for name, page in pages.items():
        nav = re.search(r'<nav aria-label="Site"[^>]*>(.*?)</nav>', page.text, re.S)
        assert nav, f"{name}: no site navigation"
        assert '>Home</a>' in nav.group(1) and '>Profile</a>' in nav.group(1), name
        assert page.text.count("<html") == 1 and page.text.count("<body") == 1, name
        assert "orcid.css" in page.text and "demo.css" in page.text, name
        assert 'class="orcid-page"' in page.text, name
    assert re.search(r'href="http://localhost/orcid/"\s+aria-current="page">ORCID settings',
                     pages["panel"].text)
    assert "orcid-signout.js" in pages["connect"].text  # the page's own script still loads
    assert "<title>Your ORCID iD – orcid-pyramid demo</title>" in pages["panel"].text


def test_without_a_host_layout_the_add_on_renders_its_own_page(make_testapp, emulator):
    """No orcid.layout: the add-on's stand-alone page (its font and width come from
    orcid.css on body.orcid-standalone), still with the flash messages."""
    app = make_testapp(**{"orcid.layout": ""})
    login_as(app, "alice")
    connect_via_emulator(app, emulator)
    panel = app.get("/orcid/")
    assert '<body class="orcid-standalone">' in panel.text
    assert 'aria-label="Site"' not in panel.text
    assert panel.text.count("orcid.css") == 1
    assert '<p class="orcid-flash" role="status">Your ORCID iD is connected.</p>' in panel.text


def test_a_flash_is_shown_once_when_the_host_layout_shows_flashes(testapp, login, emulator):
    """The demo's base shows the "orcid" flash queue itself; the add-on's layout must not show
    it a second time (nor lose it)."""
    login("alice")
    connect_via_emulator(testapp, emulator)
    panel = testapp.get("/orcid/")
    assert panel.text.count("Your ORCID iD is connected.") == 1
    assert panel.text.count('role="status"') == 1


def test_declining_is_a_neutral_notice_with_connect_button_and_quiet_support(testapp, login,
                                                                            emulator):
    """DM-8: "you chose not to connect" is not an error: no alert role, no error styling, no
    "if this keeps happening"; ORCID's Connect button (green iD icon) to try again; the support
    contact still on the page."""
    login("alice")
    auth = authorize_request(testapp.get("/orcid/connect").text)
    page = testapp.get("/orcid/callback", {"error": "access_denied",
                                           "error_description": "User denied access",
                                           "state": auth.state}, status=403)
    assert 'role="alert"' not in page.text and "orcid-error" not in page.text
    assert 'class="orcid-notice"' in page.text
    assert "If this keeps happening" not in page.text
    button = re.search(r'<a class="orcid-button" href="http://localhost/orcid/connect" '
                       r'id="orcid-connect">(.*?)</a>', page.text, re.S)
    assert button, "no Connect button"
    assert 'alt=""' in button.group(1)  # the label names the iD; the icon is decoration
    assert re.sub(r"<[^>]+>", "", button.group(1)).strip() == "Connect your ORCID iD"
    support = re.search(r'<p class="orcid-support orcid-muted">(.*?)</p>', page.text, re.S)
    assert support and 'href="mailto:support@example.org"' in support.group(1)
    assert "https://support.example.org/orcid" in support.group(1)


def test_real_failures_stay_alerts_with_the_support_contact(testapp, login, emulator):
    """DM-8: a refused state is still an alert with "contact support"."""
    login("alice")
    page = testapp.get("/orcid/callback", {"state": "forged", "code": "abc"}, status=400)
    assert 'class="orcid-error" role="alert"' in page.text
    assert "If this keeps happening, contact support" in _text(page)
    assert 'href="mailto:support@example.org"' in page.text


@pytest.mark.parametrize("features", ["openid collect connect-activities",
                                      "collect connect-activities"])
def test_interstitial_signs_out_without_javascript_too(make_testapp, emulator, features):
    """BP-2 without JavaScript, with or without openid: the <noscript> part holds an image
    whose source is ORCID's sign-out request (a browser with scripting off loads it with the
    page, before Continue can be pressed). prompt=login goes with openid only: ORCID honours
    it only there (orcid-facts/oauth.md#authorize)."""
    app = make_testapp(**{"orcid.features": features})
    login_as(app, "alice")
    page = app.get("/orcid/connect")
    auth = authorize_request(page.text)
    signout = html.unescape(re.search(r'data-signout-url="([^"]+)"', page.text).group(1))
    assert signout == emulator.base_url + "/userStatus.json?logUserOut=true"
    noscript = re.search(r"<noscript>(.*?)</noscript>", page.text, re.S)
    assert noscript, "no <noscript> fallback"
    image = re.search(r'<img src="([^"]+)"[^>]*>', noscript.group(1))
    assert image and html.unescape(image.group(1)) == signout
    assert 'alt=""' in image.group(0)
    assert "<iframe" not in page.text
    assert (auth.params.get("prompt") == "login") == ("openid" in features.split())
