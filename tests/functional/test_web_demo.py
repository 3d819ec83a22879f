"""The demo site: sign-in, pages, the emulator mounted at /sandbox (what ``pserve
development.ini`` serves), the ini files."""

from __future__ import annotations

import configparser
import html
import os
import re
import shutil
from pathlib import Path

import pytest
import requests

from orcid_pyramid.compliance.fixtures.app import login_as

ROOT = Path(__file__).resolve().parents[2]


def test_sign_in_checks_the_password_and_home_explains_the_demo(testapp):
    """Local sign-in for the seeded users; a wrong password is a clear 400, not a crash."""
    assert "josiah.carberry@example.org" in testapp.get("/").text
    page = testapp.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    bad = testapp.post("/login", {"username": "alice", "password": "nope",
                                  "csrf_token": token}, status=400)
    assert "Unknown user or wrong password." in bad.text
    assert "Josiah Carberry" in login_as(testapp, "alice").text


def test_development_ini_keeps_token_logging_libraries_quiet():
    """requests_oauthlib, oauthlib and urllib3 log tokens at DEBUG: both ini files keep them
    at INFO or above."""
    for name in ("development.ini", "production.ini"):
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(ROOT / name)
        for logger in ("requests_oauthlib", "oauthlib", "urllib3"):
            level = parser[f"logger_{logger}"]["level"]
            assert level in ("INFO", "WARN", "WARNING", "ERROR"), (name, logger, level)
        assert "pyramid_debugtoolbar" not in (ROOT / name).read_text() or name != "production.ini"


def test_production_ini_reads_secrets_from_the_environment(monkeypatch, tmp_path):
    """production.ini holds no secret: a missing variable stops the start and is named."""
    from pyramid.exceptions import ConfigurationError
    from pyramid.paster import get_appsettings

    from orcid_pyramid.demo import main

    text = (ROOT / "production.ini").read_text()
    assert "env:ORCID_CLIENT_SECRET" in text and "env:DATABASE_URL" in text
    for name in ("ORCID_CLIENT_SECRET", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = get_appsettings(str(ROOT / "production.ini"))
    with pytest.raises(ConfigurationError) as err:
        main({}, **settings)
    assert "ORCID_CLIENT_SECRET" in str(err.value) and "DATABASE_URL" in str(err.value)


class _LateApp:
    """Lets the server bind its port before the app (which needs that port) is built."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


def _form(text: str) -> tuple[str, dict]:
    action = html.unescape(re.search(r'<form method="post" action="([^"]+)"', text).group(1))
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', text))
    return action, fields


def test_pserve_development_ini_serves_site_and_sandbox_in_one_app(tmp_path):
    """The development.ini app, on a real socket and over plain http on 127.0.0.1 as pserve
    serves it: sign in, connect through the EMBEDDED emulator's own pages (ORCID sign-out,
    sign-in, consent), come back connected. The code exchange goes through requests-oauthlib
    to a plain-http loopback emulator without OAUTHLIB_INSECURE_TRANSPORT."""
    from pyramid.paster import get_appsettings

    from orcid_pyramid.compliance.fixtures.serving import serve_in_thread
    from orcid_pyramid.demo import main

    shutil.copy(ROOT / "development.ini", tmp_path / "development.ini")
    settings = dict(get_appsettings(str(tmp_path / "development.ini")))
    settings["demo.sync_worker"] = "false"
    late = _LateApp()
    server = serve_in_thread(late, threads=8)  # no TLS: development.ini's quick start
    base = server.base_url
    assert base.startswith("http://127.0.0.1:") and "OAUTHLIB_INSECURE_TRANSPORT" not in os.environ
    settings.update({"orcid.base_url": base + "/sandbox", "orcid.api_url": base + "/sandbox/api"})
    late.app = main({}, **settings)
    try:
        browser = requests.Session()
        # the served demo is HTTPS: a real browser sends Origin with its POSTs (CSRF check)
        browser.headers["Origin"] = base
        page = browser.get(base + "/login")
        _, fields = _form(page.text)
        done = browser.post(base + "/login", data={**fields, "username": "alice",
                                                   "password": "demo-password"})
        assert done.url == base + "/profile"
        interstitial = browser.get(base + "/orcid/connect").text
        signout = html.unescape(re.search(r'data-signout-url="([^"]+)"', interstitial).group(1))
        authorize = html.unescape(re.search(r'data-authorize-url="([^"]+)"',
                                            interstitial).group(1))
        assert signout == base + "/sandbox/userStatus.json?logUserOut=true"
        assert browser.get(signout).status_code == 200
        signin = browser.get(authorize)
        action, fields = _form(signin.text)
        consent = browser.post(action, data={**fields, "username": "josiah.carberry@example.org",
                                             "password": "demo-password"})
        action, fields = _form(consent.text)
        fields["action"] = "authorize"
        final = browser.post(action, data=fields)
        assert final.url == base + "/orcid/"
        assert "Your ORCID iD is connected." in final.text
        assert "https://sandbox.orcid.org/0000-0002-1825-0097" in final.text
    finally:
        server.stop()
        late.app.close()
        late.app.app.registry["orcid.dbengine"].dispose()


def test_threads_are_enough_for_the_callback_to_call_back_in():
    """development.ini serves with >= 4 threads (the callback calls the embedded sandbox)."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "development.ini")
    assert int(parser["server:main"]["threads"]) >= 4
    assert parser["app:main"]["demo.embed_emulator"] == "true"
    # the demo drains its own outbox: pushed works and the employment reach the sandbox
    assert parser["app:main"]["demo.sync_worker"] == "true"
    assert parser["app:main"]["orcid.base_url"] == "http://127.0.0.1:6543/sandbox"
