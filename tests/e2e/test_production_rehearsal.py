"""The production rehearsal (issue 11, item 7): the README's "Production" steps, run for real.

ORCID is the emulator as its own process over HTTPS with a throwaway local CA, so the sandbox
environment's own rules (HTTPS only, no loopback exception) apply; the database is a fresh
PostgreSQL database; the site is ``pserve`` on a copy of the shipped ``production.ini`` behind
a TLS front, with every secret only in the environment; ``check``, ``initdb``, ``sync --once``
and ``rekey`` run on the same file. In Chromium a researcher signs in, connects, sends works and
an employment, the operator rotates the token key, the researcher disconnects, reconnects and
sends again, and disconnects while ORCID is down; when ORCID is back, ``sync --once`` finishes
the revocation. Then: nothing twice on the record, every token dead at ORCID, no token or
secret in the database, the logs or the emulator's call log, no server error in the log.
"""

from __future__ import annotations

import re
import secrets

import pytest
import requests

from orcid_pyramid.crypto import generate_key

from .rehearsal import (
    dump_database,
    fresh_postgres_database,
    leaks,
    make_site,
    readme_production_section,
    server_errors,
    start_emulator,
    stop,
)
from .rehearsal_steps import (
    RESEARCHER_EMAIL,
    assert_each_once,
    assert_sent,
    connect,
    disconnect,
    our_items,
    refresh_answer,
    rows_in,
    send_works,
    sign_in,
    stored_tokens,
    token_answer,
)


@pytest.fixture
def production(tmp_path, monkeypatch):
    """Emulator, database, TLS front and pserve, as the README's steps set them up; yields
    (site, emulator, control, researcher's iD, secrets by name)."""
    from orcid_pyramid.demo.passwords import hash_password
    from orcid_pyramid.emulator.control_client import EmulatorControl

    with fresh_postgres_database() as database_url:
        emulator = start_emulator(tmp_path)
        site = None
        try:
            # this process trusts the emulator's CA too: the token checks' requests calls,
            # and Chromium (ORCID_EMULATOR_CA; the site's TLS front has a certificate of the
            # same CA)
            monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(emulator.ca_file))
            monkeypatch.setenv("ORCID_EMULATOR_CA", str(emulator.ca_file))
            control = EmulatorControl(emulator.base_url, verify=str(emulator.ca_file))
            known = {"demo password": secrets.token_urlsafe(12),
                     "researcher password": secrets.token_urlsafe(12),
                     "token key 1": generate_key(), "token key 2": generate_key(),
                     "session secret": secrets.token_hex(32)}
            orcid = control.add_user("Josiah", "Carberry", RESEARCHER_EMAIL,
                                     known["researcher password"])
            env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8",
                   "REQUESTS_CA_BUNDLE": str(emulator.ca_file),
                   "ORCID_ENVIRONMENT": "sandbox", "ORCID_BASE_URL": emulator.base_url,
                   "ORCID_API_URL": emulator.base_url + "/api",
                   "ORCID_SUPPORT_EMAIL": "support@rehearsal.example",
                   "ORCID_TOKEN_KEY": known["token key 1"], "DATABASE_URL": database_url,
                   "SESSION_SECRET": known["session secret"],
                   "DEMO_PASSWORD_HASH": hash_password(known["demo password"])}
            site = make_site(tmp_path, emulator, env)
            client = control.add_client(redirect_uris=[env["ORCID_REDIRECT_URI"]],
                                        name="orcid-pyramid rehearsal")
            env["ORCID_CLIENT_ID"] = client["client_id"]
            env["ORCID_CLIENT_SECRET"] = known["client secret"] = client["client_secret"]
            site.command("initdb")
            site.command("check", "--db")
            site.start()
            yield site, emulator, control, orcid, known
        finally:
            if site is not None:
                if site.process is not None:
                    stop(site.process)
                site.front.stop()
            stop(emulator.process)


@pytest.mark.subprocess
@pytest.mark.slow
def test_the_shipped_ini_is_served_over_https_with_secrets_from_the_environment(production):
    """The first steps: ``check --db`` says OK on the copied file with the variables, and
    pserve answers through the TLS front with HSTS; a client's own X-Forwarded-* headers
    (which a byte-relaying front passes on) choose neither the scheme nor the host."""
    site, emulator, _, _, _ = production
    answer = requests.get(site.base_url + "/", verify=str(site.ca_file), timeout=10)
    assert answer.status_code == 200
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=")
    # the front passes a client's headers through: none of them may choose the host
    spoofed = requests.get(site.base_url + "/works", verify=str(site.ca_file), timeout=10,
                           allow_redirects=False,
                           headers={"X-Forwarded-Host": "attacker.example",
                                    "X-Forwarded-Proto": "http"})
    assert spoofed.status_code == 302, spoofed.status_code
    assert spoofed.headers["Location"].startswith(site.base_url + "/login"), spoofed.headers
    assert site.command_output[-1].strip().endswith("OK"), site.command_output


def test_leak_scanner_finds_a_planted_secret():
    """Negative control: the scanner the rehearsal trusts does find a secret that is there."""
    planted = secrets.token_urlsafe(16)
    assert leaks({"planted": planted}, {"log": f"x {planted} y", "dump": "nothing"}) == \
        ["planted in log"]
    assert leaks({"planted": planted}, {"log": "clean"}) == []


def test_server_error_scanner_finds_a_5xx():
    """Negative control: a traceback or an ERROR record in a server log is found."""
    assert server_errors("2026 INFO  [waitress] Serving on http://127.0.0.1:1") == []
    assert server_errors("INFO  [orcid_pyramid.demo.access:9][waitress-1] GET / answered 200") \
        == []
    assert server_errors("INFO  [orcid_pyramid.demo.access:9][waitress-1] GET / answered 503")
    assert server_errors("2026 ERROR [waitress:1] Exception while serving /x")
    assert server_errors("Traceback (most recent call last):\n  File ...")


def journey(page, site, emulator, control, orcid: str, known: dict) -> None:
    """What the researcher and the operator do, in order; ``known`` gets the tokens."""
    client_id = site.env["ORCID_CLIENT_ID"]
    sign_in(page, site, known["demo password"])
    connect(page, site, emulator, known["researcher password"])
    known["access token 1"], known["refresh token 1"] = stored_tokens(
        site, known["token key 1"])
    send_works(page, site)
    site.command("sync", "--once")
    assert_sent(page, site)
    assert_each_once(our_items(control, orcid, client_id))

    # the operator rotates the token key: NEW,OLD on the web process, then rekey
    site.restart(ORCID_TOKEN_KEY=f"{known['token key 2']},{known['token key 1']}")
    assert "Re-encrypted" in site.command("rekey")
    assert stored_tokens(site, known["token key 2"]) == (
        known["access token 1"], known["refresh token 1"])

    said = disconnect(page, site)
    assert "no longer has permission" in said and "did not answer" not in said, said
    assert token_answer(emulator, orcid, known["access token 1"]) == 401

    connect(page, site, emulator, known["researcher password"])
    known["access token 2"], known["refresh token 2"] = stored_tokens(
        site, known["token key 2"])
    assert known["access token 2"] != known["access token 1"]
    send_works(page, site)
    site.command("sync", "--once")
    assert_sent(page, site)
    assert_each_once(our_items(control, orcid, client_id))

    control.set_faults(1.0, ["503"])  # ORCID is down
    said = disconnect(page, site)
    assert "will withdraw the permission on ORCID automatically" in said, said
    control.set_faults(0.0)  # and back
    assert rows_in(site, "orcid_links") == 0
    assert rows_in(site, "orcid_pending_revocations") >= 1  # queued
    assert token_answer(emulator, orcid, known["access token 2"]) == 200, \
        "the token died before the worker revoked it: the rehearsal proves nothing"
    site.command("sync", "--once")
    assert rows_in(site, "orcid_pending_revocations") == 0


@pytest.mark.browser
@pytest.mark.subprocess
@pytest.mark.slow
def test_production_rehearsal(production):
    """Connect, send, rotate the key, disconnect, reconnect, send again, disconnect while ORCID
    is down, finish the revocation with the worker; then every promise is checked."""
    from orcid_pyramid.compliance.browser import launch_chromium

    site, emulator, control, orcid, known = production
    client_id = site.env["ORCID_CLIENT_ID"]
    seen_codes: list[str] = []
    site_5xx: list[str] = []

    def on_request(request):
        if request.url.startswith(site.base_url + "/orcid/callback"):
            seen_codes.extend(re.findall(r"[?&]code=([^&#]+)", request.url))

    def on_response(response):
        if response.url.startswith(site.base_url) and response.status >= 500:
            site_5xx.append(f"{response.status} {response.url}")

    from playwright.sync_api import expect

    # generous ceilings for waiting on pages: the machines running this can be loaded
    expect.set_options(timeout=20_000)
    with launch_chromium() as browser:
        context = browser.new_context(viewport={"width": 1000, "height": 800})
        context.set_default_timeout(30_000)
        page = context.new_page()
        page.on("request", on_request)
        page.on("response", on_response)
        try:
            journey(page, site, emulator, control, orcid, known)
        except BaseException:
            log_tail = "\n".join(site.log().splitlines()[-40:])
            print(f"\nfailed on {page.url}:\n{page.locator('body').inner_text()[:2000]}\n"
                  f"server log (tail):\n{log_tail}")
            raise
        finally:
            expect.set_options(timeout=None)  # Playwright's default for other suites
        context.close()

    # every token the site was given is dead at ORCID
    for number in ("1", "2"):
        assert token_answer(emulator, orcid, known[f"access token {number}"]) == 401, number
        assert refresh_answer(emulator, site.env, known[f"refresh token {number}"]) in (
            400, 401), number
    assert_each_once(our_items(control, orcid, client_id))
    assert len(seen_codes) == 2, seen_codes
    for number, code in enumerate(seen_codes, 1):
        known[f"authorization code {number}"] = code

    stop(site.process)  # everything the server wrote is in its log now
    texts = {"the database": dump_database(site.env["DATABASE_URL"]),
             "the server log": site.log(),
             "the commands' output": "\n".join(site.command_output),
             "the emulator's call log": repr(control.calls())}
    assert leaks(known, texts) == []
    assert server_errors(site.log()) == []
    assert len(re.findall(r"answered [23]\d\d", site.log())) > 20, "no access log to check"
    assert site_5xx == []
    assert control.errors() == []

    # the README's production section names every step the rehearsal took
    readme = readme_production_section()
    for step in [*site.commands_run, "pserve production.ini", "url_scheme = https",
                 "demo.sync_worker = false", "ORCID_TOKEN_KEY=NEW,OLD",
                 "--tls --port 0 --seed empty"]:
        assert step in readme, f"the README's Production section does not say {step!r}"

    # negative control: the duplicate check sees a copy this client wrote
    employment = our_items(control, orcid, client_id)["employments"][0]["item"]
    control.add_item(orcid, "employment", employment, source_client_id=client_id)
    with pytest.raises(AssertionError):
        assert_each_once(our_items(control, orcid, client_id))
