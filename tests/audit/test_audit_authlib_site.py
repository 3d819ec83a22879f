"""``orcid-pyramid audit`` on a Flask site that connects records with Authlib's Flask client
(tests/audit/sites), configured through Authlib's own settings with the emulator's HTTPS
addresses. The site follows ORCID's guidelines, so every line seen from outside passes and the
audit exits 3 (what the site stores and logs is not checked). One audit run for the module.
"""

from __future__ import annotations

import pytest

from orcid_pyramid.compliance.browser import chromium_path
from orcid_pyramid.compliance.fixtures.emulator import process_ca, start_emulator
from orcid_pyramid.compliance.fixtures.serving import serve_in_thread

from .support import once_per_run, run_audit

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.subprocess]

CLIENT_ID = "APP-AUDITAUTHLIB001"
CLIENT_SECRET = "authlib-site-secret-0123456789"
JOURNEY = """
support = "orcid-help@works-site.example"
display = ["/profile"]
sign_in = [{goto = "/"}, {fill = {"#username" = "grace"}}, {click = "#login"}]
connect = [{goto = "/profile"}, {click = "#connect"}]
write = [{goto = "/profile"}, {click = "#add-work"}]
update = [{goto = "/profile"}, {click = "#update-work"}]
disconnect = [{goto = "/profile"}, {click = "#disconnect"}]

[researcher]
given_names = "Grace"
family_names = "Hopper"
email = "grace@works-site.example"
"""
PASSING = ("REV-1", "DM-1", "DM-2", "DM-3", "DM-6", "DM-8", "BP-1", "BP-2", "BP-3", "BP-4",
           "BP-5", "BP-6", "CC-AUTH", "CC-COLLECT", "CC-DISPLAY", "CC-CONNECT", "CC-SYNC")


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    """Serve the site beside an emulator, run the audit once."""
    if chromium_path() is None:
        pytest.skip("no Chromium: the audit drives one")
    return once_per_run(tmp_path_factory, "authlib", audit_authlib_site)


def audit_authlib_site(folder, careless: bool = False):
    """Serve the Authlib site (``careless``: with the usual mistakes) and audit it."""
    from tests.audit.sites.authlib_works_site import make_app

    emulator = start_emulator()
    app = make_app(CLIENT_ID, CLIENT_SECRET, emulator.base_url, emulator.api_url,
                   careless=careless)
    site = serve_in_thread(app, ca=process_ca())
    app.config["REDIRECT_URI"] = site.base_url + "/orcid/callback"
    try:
        result = run_audit(folder, JOURNEY, site.base_url,
                           CLIENT_ID, CLIENT_SECRET, app.config["REDIRECT_URI"],
                           "--emulator", emulator.base_url,
                           "--emulator-ca", str(process_ca().ca_file),
                           "--contact", "Grace Hopper <orcid-help@works-site.example>")
        errors = list(emulator.state.errors)
    finally:
        site.stop()
        emulator.stop()
    assert not errors, errors
    return result


def test_a_site_following_the_guidelines_passes_every_line_seen_from_outside(audited):
    statuses = audited.statuses()
    failing = {rid: audited.messages(rid) for rid in PASSING if statuses[rid] != "pass"}
    assert not failing
    assert all(badge == "earned" for badge in audited.report["badges"].values())


def test_the_audit_of_a_good_site_exits_3_for_what_it_cannot_see(audited):
    statuses = audited.statuses()
    assert {rid for rid, status in statuses.items() if status != "pass"} == {
        "REV-2", "DM-4", "DM-5", "DM-7"}
    assert audited.code == 3, audited.output


def test_the_target_names_the_site_client_and_contact(audited):
    target = audited.report["target"]
    assert target["client_id"] == CLIENT_ID
    assert target["site_url"].startswith("https://127.0.0.1:")
    assert target["orcid_environment"].startswith("emulated")
    assert target["contact"] == "Grace Hopper <orcid-help@works-site.example>"
    assert CLIENT_SECRET not in target["command"]


def test_the_evidence_shows_the_calls_and_the_pages(audited):
    rows = {row["id"]: row for row in audited.report["requirements"]}
    kinds = {item["kind"] for item in rows["CC-SYNC"]["evidence"]}
    assert "call_log" in kinds
    puts = [call for item in rows["CC-SYNC"]["evidence"] for call in item["data"]
            if call["method"] == "PUT"]
    assert puts and all(call["status"] == 200 for call in puts)
    shots = [item["file"] for item in rows["CC-DISPLAY"]["evidence"] if item.get("file")]
    assert shots and all((audited.out / shot).is_file() for shot in shots)
