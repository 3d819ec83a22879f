"""``orcid-pyramid audit`` on a Flask site that signs in with python-orcid (tests/audit/sites),
run as CI would run it: the site is started first with ``HTTPS_PROXY`` naming the audit's
proxy port and ``REQUESTS_CA_BUNDLE`` the CA the audit will write (``--ca-dir``); the audit,
a child process, starts the emulator over HTTPS and the proxy that sends ORCID's host names
to it. The site is unchanged: python-orcid calls ORCID's sandbox hosts as it always does.

One audit run for the module; each test reads its report. The verdicts asserted are what a
reviewer concludes by hand from the site's code (see the site's docstring).
"""

from __future__ import annotations

import socket

import pytest

from orcid_pyramid.compliance.browser import chromium_path
from orcid_pyramid.compliance.checklist import load_checklist
from orcid_pyramid.compliance.fixtures.emulator import process_ca
from orcid_pyramid.compliance.fixtures.serving import serve_in_thread

from .support import once_per_run, run_audit

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
    "REV-1": "not-checked", "DM-1": "fail", "DM-2": "pass", "DM-3": "fail", "DM-6": "pass",
    "DM-8": "pass", "BP-1": "fail", "BP-2": "fail", "BP-3": "fail", "BP-4": "pass",
    "BP-5": "not-checked", "BP-6": "pass", "CC-AUTH": "pass", "CC-COLLECT": "fail",
    "CC-DISPLAY": "pass", "CC-CONNECT": "not-checked", "CC-SYNC": "not-checked",
    "DM-4": "not-checked", "DM-5": "not-checked", "DM-7": "not-checked",
}


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    """Serve the site, run the audit once."""
    if chromium_path() is None:
        pytest.skip("no Chromium: the audit drives one")
    return once_per_run(tmp_path_factory, "python-orcid", _audit)


def _audit(folder):
    from tests.audit.sites.python_orcid_site import make_app

    proxy_port = _free_port()
    app = make_app(CLIENT_ID, CLIENT_SECRET)
    site = serve_in_thread(app, ca=process_ca())
    app.config["REDIRECT_URI"] = site.base_url + "/orcid/callback"
    try:
        with pytest.MonkeyPatch.context() as patch:
            # the site's own environment, set before the audit runs, as in CI
            patch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy_port}")
            patch.setenv("NO_PROXY", "127.0.0.1,localhost")
            patch.setenv("REQUESTS_CA_BUNDLE", str(folder / "ca" / "ca.pem"))
            return run_audit(folder, JOURNEY, site.base_url, CLIENT_ID, CLIENT_SECRET,
                             app.config["REDIRECT_URI"], "--proxy-port", str(proxy_port),
                             "--ca-dir", str(folder / "ca"))
    finally:
        site.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_audit_of_a_python_orcid_login_gives_a_reviewers_verdicts(audited):
    statuses = audited.statuses()
    got = {rid: statuses[rid] for rid in EXPECTED}
    assert got == EXPECTED, {rid: audited.messages(rid) for rid in got
                             if got[rid] != EXPECTED[rid]}
    assert "api. host" in audited.messages("DM-3")[0]
    assert audited.messages("BP-1") == ["a state issued to one browser session was accepted "
                                        "from another (not bound to the session)"]
    # the field shows on the profile and on the callback's error pages
    assert audited.messages("DM-1") == ["2 field(s) ask for an iD (on /orcid/callback, "
                                        "/profile)"]
    assert "without signing in again" in audited.messages("BP-2")[0]
    assert "no revocation at ORCID" in audited.messages("BP-3")[0]


def test_audit_writes_the_reports_files_with_the_reports_keys(audited):
    report = audited.report
    assert {p.name for p in audited.out.iterdir()} >= {"index.html", "report.md",
                                                       "report.json"}
    assert set(report) == {"generated_at", "target", "sandbox", "requirements", "badges",
                           "run"}
    assert [row["id"] for row in report["requirements"]] == [r.id for r in load_checklist()]
    assert report["badges"]["CC-AUTH"] == "earned"
    assert report["badges"]["CC-CONNECT"] == "missing"
    assert audited.code == 1, audited.output  # something failed
    assert "BP-2" in (audited.out / "report.md").read_text(encoding="utf-8")


def test_what_the_site_stores_and_logs_is_never_passed_from_outside(audited):
    rows = {row["id"]: row for row in audited.report["requirements"]}
    for rid in ("DM-4", "DM-5", "DM-7"):
        assert rows[rid]["status"] == "not-checked"
        assert rows[rid]["reason"].startswith("not observable from outside: show the reviewer")


def test_no_secret_reaches_the_report(audited):
    """Fails before the command line in report.json hid --client-secret's value."""
    for path in audited.out.glob("*.*"):
        if path.suffix in (".json", ".md", ".html"):
            assert CLIENT_SECRET not in path.read_text(encoding="utf-8"), path
    assert CLIENT_SECRET not in audited.output
