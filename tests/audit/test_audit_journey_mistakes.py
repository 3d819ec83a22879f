"""The mistake a first journey file most often has: the site pre-fills its user's email,
the journey's test researcher has another one, so ORCID shows its registration form. The
audit says so, with the fix, and judges nothing from a connection that never happened."""

from __future__ import annotations

import pytest

from orcid_pyramid.compliance.browser import chromium_path
from orcid_pyramid.compliance.fixtures.emulator import process_ca, start_emulator
from orcid_pyramid.compliance.fixtures.serving import serve_in_thread

from .support import once_per_run, run_audit
from .test_audit_authlib_site import CLIENT_ID, CLIENT_SECRET, JOURNEY

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.subprocess]


def _audit(folder):
    from tests.audit.sites.authlib_works_site import make_app

    emulator = start_emulator()
    app = make_app(CLIENT_ID, CLIENT_SECRET, emulator.base_url, emulator.api_url)
    site = serve_in_thread(app, ca=process_ca())
    app.config["REDIRECT_URI"] = site.base_url + "/orcid/callback"
    # no write, update or disconnect: with no connection they could only wait for controls
    # that never show
    journey = "\n".join(line for line in JOURNEY.splitlines() if not line.startswith(
        ("write", "update", "disconnect"))).replace('email = "grace@works-site.example"',
                                                    'email = "someone-else@example.org"')
    try:
        return run_audit(folder, journey, site.base_url, CLIENT_ID, CLIENT_SECRET,
                         app.config["REDIRECT_URI"], "--emulator", emulator.base_url,
                         "--emulator-ca", str(process_ca().ca_file))
    finally:
        site.stop()
        emulator.stop()


def test_a_researcher_email_the_site_does_not_prefill_is_named_with_the_fix(tmp_path_factory):
    if chromium_path() is None:
        pytest.skip("no Chromium: the audit drives one")
    audited = once_per_run(tmp_path_factory, "wrong-email", _audit)
    assert "warning: journey step 'connect': RuntimeError: ORCID showed its registration " \
           "form" in audited.output
    assert "give it as [researcher] email in the journey" in audited.output
    statuses = audited.statuses()
    assert statuses["CC-AUTH"] == "fail"
    assert statuses["DM-3"] == "not-checked"  # no exchange to judge, never a pass
    assert audited.code == 1
