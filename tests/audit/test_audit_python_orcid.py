"""``orcid-pyramid audit`` on a Flask site that signs in with python-orcid (tests/audit/sites): the
command run as a user runs it (a child process), against an emulator over HTTPS that the site
reaches through the audit's proxy for ORCID's host names, unchanged.

One audit run for the module; each test reads its report. The verdicts asserted are what a
reviewer concludes by hand from the site's code (see the site's docstring).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from orcid_pyramid.compliance.audit.proxy import OrcidHostProxy
from orcid_pyramid.compliance.browser import chromium_path
from orcid_pyramid.compliance.checklist import load_checklist
from orcid_pyramid.compliance.fixtures.emulator import process_ca, start_emulator
from orcid_pyramid.compliance.fixtures.serving import serve_in_thread

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.subprocess]

CLIENT_ID = "APP-AUDITWORKS0001"
CLIENT_SECRET = "login-site-secret-0123456789"
JOURNEY = """
support = "help@login-site.example"
display = ["/profile"]
sign_in = [{goto = "/"}, {fill = {"#username" = "ada"}}, {click = "#login"}]
connect = [{goto = "/profile"}, {click = "#connect"}]
disconnect = [{goto = "/profile"}, {click = "#signout"}]

[researcher]
given_names = "Ada"
family_names = "Lovelace"
email = "ada@login-site.example"
"""
#: a reviewer's verdicts on this site (see tests/audit/sites/python_orcid_site.py)
EXPECTED = {
    "REV-1": "not-checked", "DM-1": "pass", "DM-2": "pass", "DM-3": "fail", "DM-6": "pass",
    "DM-8": "pass", "BP-1": "pass", "BP-2": "fail", "BP-3": "fail", "BP-4": "pass",
    "BP-5": "not-checked", "BP-6": "pass", "CC-AUTH": "pass", "CC-COLLECT": "fail",
    "CC-DISPLAY": "pass", "CC-CONNECT": "not-checked", "CC-SYNC": "not-checked",
    "DM-4": "not-checked", "DM-5": "not-checked", "DM-7": "not-checked",
}


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    """Serve the site, run the audit once, return (exit status, output, report folder)."""
    if chromium_path() is None:
        pytest.skip("no Chromium: the audit drives one")
    from tests.audit.sites.python_orcid_site import make_app

    folder = tmp_path_factory.mktemp("audit-python-orcid")
    emulator = start_emulator()
    proxy = OrcidHostProxy(("127.0.0.1", emulator.front.port)).start()
    app = make_app(CLIENT_ID, CLIENT_SECRET)
    site = serve_in_thread(app, ca=process_ca())
    app.config["REDIRECT_URI"] = site.base_url + "/orcid/callback"
    (folder / "journey.toml").write_text(JOURNEY, encoding="utf-8")
    audit_env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    try:
        with pytest.MonkeyPatch.context() as patch:
            # the site's own process environment: python-orcid's requests go to the proxy
            patch.setenv("HTTPS_PROXY", proxy.url)
            patch.setenv("NO_PROXY", "127.0.0.1,localhost")
            done = subprocess.run(
                [sys.executable, "-m", "orcid_pyramid", "audit", "--site", site.base_url,
                 "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET,
                 "--redirect-uri", app.config["REDIRECT_URI"], "--journey",
                 str(folder / "journey.toml"), "--out", str(folder / "report"),
                 "--emulator", emulator.base_url,
                 "--emulator-ca", str(process_ca().ca_file)],
                env=audit_env, capture_output=True, text=True, timeout=280, check=False)
        errors = list(emulator.state.errors)
    finally:
        site.stop()
        proxy.stop()
        emulator.stop()
    assert not errors, errors
    return done.returncode, done.stdout + done.stderr, folder / "report"


def _report(audited) -> dict:
    code, output, out = audited
    assert (out / "report.json").is_file(), output
    return json.loads((out / "report.json").read_text(encoding="utf-8"))


def test_audit_of_a_python_orcid_site_gives_a_reviewers_verdicts(audited):
    report = _report(audited)
    statuses = {row["id"]: row["status"] for row in report["requirements"]}
    reasons = {row["id"]: [s["message"] for s in row["scenarios"]]
               for row in report["requirements"]}
    got = {rid: statuses[rid] for rid in EXPECTED}
    assert got == EXPECTED, {rid: reasons[rid] for rid in got if got[rid] != EXPECTED[rid]}
    assert "api. host" in reasons["DM-3"][0]
    assert "without signing in again" in reasons["BP-2"][0]
    assert "no revocation at ORCID" in reasons["BP-3"][0]


def test_audit_writes_the_reports_files_with_the_reports_keys(audited):
    code, output, out = audited
    report = _report(audited)
    assert {p.name for p in out.iterdir()} >= {"index.html", "report.md", "report.json"}
    assert set(report) == {"generated_at", "target", "sandbox", "requirements", "badges",
                           "run"}
    assert [row["id"] for row in report["requirements"]] == [r.id for r in load_checklist()]
    assert report["badges"]["CC-AUTH"] == "earned"
    assert report["badges"]["CC-CONNECT"] == "missing"
    assert code == 1, output  # something failed
    assert "BP-2" in (out / "report.md").read_text(encoding="utf-8")


def test_what_the_site_stores_and_logs_is_never_passed_from_outside(audited):
    rows = {row["id"]: row for row in _report(audited)["requirements"]}
    for rid in ("DM-4", "DM-5", "DM-7"):
        assert rows[rid]["status"] == "not-checked"
        assert rows[rid]["reason"].startswith("not observable from outside: show the reviewer")


def test_no_secret_reaches_the_report(audited):
    code, output, out = audited
    for path in [*out.glob("*.*"), Path("/dev/null")]:
        if path.suffix in (".json", ".md", ".html"):
            assert CLIENT_SECRET not in path.read_text(encoding="utf-8"), path
    assert CLIENT_SECRET not in output
