"""``--orcid-live`` rehearsed against an emulator standing in for the live sandbox.

This machine cannot reach the live sandbox, so these tests run the live target's code as it is,
pointed by ``ORCID_SANDBOX_BASE_URL``/``ORCID_SANDBOX_API_URL`` at a separate emulator that
plays the sandbox: a client registered for the run, a researcher with an email and password,
and no control API in the suite's hands. What they show: every live-mode scenario signs in
on ORCID-shaped pages in Chromium (``orcid_pages``), reads the record through the member API and
its calls from the site's call log; the scenarios that need the control API skip and say so;
and the suite itself never calls the control API. What they cannot show: that the live
sandbox's pages still carry the element ids ``orcid_pages`` uses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from orcid_pyramid.cli.report import report as report_command
from orcid_pyramid.compliance.browser import chromium_path
from orcid_pyramid.compliance.evidence import read_scenarios
from orcid_pyramid.compliance.live import DEFAULT_REDIRECT_URI, REQUIRED

ROOT = Path(__file__).resolve().parents[2]
EMAIL = "sandbox.researcher@example.org"
PASSWORD = "a-sandbox-password-42"

pytestmark = [pytest.mark.skipif(chromium_path() is None, reason="needs Chromium (apt-get "
                                 "install -y chromium)"),
              pytest.mark.browser, pytest.mark.subprocess, pytest.mark.slow]


@pytest.fixture
def stand_in(emulator_factory):
    """An emulator playing the live sandbox: no seed, a client and a researcher of its own."""
    sandbox = emulator_factory(seed=None)
    client = sandbox.control.add_client(redirect_uris=[DEFAULT_REDIRECT_URI], member=True,
                                        name="A site under review")
    orcid = sandbox.control.add_user("Sandra", "Box", EMAIL, PASSWORD)
    return sandbox, client, orcid


def _live_env(sandbox, client, orcid: str | None) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in REQUIRED and not k.startswith("ORCID_SANDBOX_")}
    env.pop("ORCID_PYRAMID_TEST_DATABASE_URL", None)
    env.update({
        "ORCID_CLIENT_ID": client["client_id"], "ORCID_CLIENT_SECRET": client["client_secret"],
        "ORCID_SANDBOX_EMAIL": EMAIL, "ORCID_SANDBOX_PASSWORD": PASSWORD,
        "ORCID_SANDBOX_GIVEN_NAMES": "Sandra", "ORCID_SANDBOX_FAMILY_NAMES": "Box",
        "ORCID_SANDBOX_BASE_URL": sandbox.base_url, "ORCID_SANDBOX_API_URL": sandbox.api_url,
    })
    if orcid:
        env["ORCID_SANDBOX_ORCID"] = orcid
    return env


def _run(env: dict, evidence: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "features", "-q", "-p", "no:cacheprovider",
         "--orcid-live", "--orcid-evidence", str(evidence), "--orcid-no-screenshots", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)


def test_the_live_report_runs_the_whole_suite_signing_in_on_orcids_pages(stand_in, tmp_path):
    sandbox, client, orcid = stand_in
    evidence = tmp_path / "report"
    mark = len(sandbox.control.calls()) + 1  # this very request is recorded too
    env = _live_env(sandbox, client, orcid)
    # CliRunner sets only what it is given: the variables this run must not see are unset
    env.update({name: None for name in os.environ if name not in env})
    result = CliRunner().invoke(report_command, ["--live", "--out", str(evidence)], env=env)
    output = result.output[-4000:] + (evidence / "pytest-output.txt").read_text()[-4000:]
    # 3: nothing failed, and what only the emulator can stage is said to be not checked
    assert result.exit_code == 3, output
    report = json.loads((evidence / "report.json").read_text(encoding="utf-8"))
    assert report["sandbox"] == "live" and report["target"]["orcid_url"] == sandbox.base_url
    assert report["target"]["orcid_environment"] == "live sandbox"
    assert report["target"]["client_id"] == client["client_id"]
    rows = {row["id"]: row for row in report["requirements"]}
    unchecked = {i for i, row in rows.items() if row["status"] != "pass"}
    assert unchecked == {"DM-8", "CC-COLLECT"}, {i: rows[i]["status"] for i in unchecked}
    for requirement_id in unchecked:
        assert rows[requirement_id]["status"] == "not-checked"
        assert "emulator" in rows[requirement_id]["reason"], rows[requirement_id]
    assert report["badges"]["CC-COLLECT"] == "missing"
    # ORCID's own pages, rendered in Chromium during the run
    shots = {path.name for path in (evidence / "screenshots").glob("*.png")}
    assert {"02-orcid-signin-prefilled.png", "03-orcid-consent.png"} <= shots, shots
    scenarios = read_scenarios(evidence)
    by_status: dict[str, list[dict]] = {}
    for scenario in scenarios:
        by_status.setdefault(scenario["status"], []).append(scenario)
    assert not by_status.get("fail"), output
    skipped = by_status.get("skip", [])
    # only what needs the emulator's hands skips, and each says why
    for scenario in skipped:
        assert ("emulator" in scenario["message"] or "control API" in scenario["message"]), (
            scenario["scenario"], scenario["message"])
    passed = by_status.get("pass", [])
    assert len(passed) >= 30, [s["scenario"] for s in passed]
    assert len(passed) > 2 * len(skipped)
    calls = sandbox.control.calls(since=mark)[:-1]  # without this last request
    # the suite never used the control API: everything went through ORCID's public doors
    assert not [c for c in calls if c["path"].startswith("/_emulator")]
    # the researcher signed in and approved on the sandbox's pages, in a browser (those forms
    # post back to the authorize page)
    assert [c for c in calls if c["method"] == "GET" and c["path"] == "/oauth/authorize"]
    assert len([c for c in calls if c["method"] == "POST" and c["path"] == "/oauth/authorize"]
               ) >= 10
    tokens = [c for c in calls if c["path"] == "/oauth/token" and c["status"] == 200]
    assert tokens and {c["host"] for c in tokens} == {"root"}
    works = [c for c in calls if c["host"] == "api" and f"/{orcid}/work" in c["path"]]
    assert {"POST", "PUT", "DELETE", "GET"} <= {c["method"] for c in works}


def test_without_the_researchers_id_the_suite_learns_it_from_the_first_connection(
        stand_in, tmp_path):
    sandbox, client, orcid = stand_in
    evidence = tmp_path / "evidence"
    completed = _run(_live_env(sandbox, client, None), evidence, "-m", "CC-AUTH or DM-5")
    assert completed.returncode == 0, completed.stdout[-4000:]
    scenarios = read_scenarios(evidence)
    assert scenarios and {s["status"] for s in scenarios} == {"pass"}, scenarios
    stored = [e for s in scenarios for e in s["items"] if e["kind"] == "stored_id"]
    assert stored and all(e["data"]["orcid"] == orcid for e in stored)


def test_a_wrong_sandbox_password_fails_with_orcids_words(stand_in, tmp_path):
    sandbox, client, orcid = stand_in
    env = dict(_live_env(sandbox, client, orcid), ORCID_SANDBOX_PASSWORD="not-the-password")
    evidence = tmp_path / "evidence"
    completed = _run(env, evidence, "-m", "DM-3")
    assert completed.returncode == 1
    scenarios = {s["scenario"]: s for s in read_scenarios(evidence)}
    connecting = scenarios["The code is exchanged at the root token URI"]
    assert connecting["status"] == "fail"
    assert "ORCID refused the sign-in" in connecting["message"], connecting
    # the startup check needs no sign-in and still passes
    assert scenarios["A token URL on the API host is refused at startup"]["status"] == "pass"


def test_an_app_ini_runs_live_with_its_own_client_and_sign_in_hook(stand_in, tmp_path):
    from orcid_pyramid.crypto import generate_key

    sandbox, client, orcid = stand_in
    ini = tmp_path / "site.ini"
    ini.write_text(f"""[app:main]
use = egg:orcid-pyramid#demo
orcid.environment = emulator
orcid.base_url = {sandbox.base_url}
orcid.api_url = {sandbox.api_url}
orcid.client_id = {client["client_id"]}
orcid.client_secret = {client["client_secret"]}
orcid.redirect_uri = {DEFAULT_REDIRECT_URI}
orcid.user_info = orcid_pyramid.compliance.live:user_info
orcid.support_email = support@example.org
orcid.token_key = {generate_key()}
orcid.sqlalchemy.url = sqlite:///{tmp_path / 'site.sqlite'}
orcid.create_tables = true
demo.session_secret = a-test-secret-for-the-app-target-0123456789
orcid.compliance.sign_in = orcid_pyramid.compliance.site:demo_sign_in
orcid.compliance.users =
    alice:demo-password:Sandra:Box:{EMAIL}::
""", encoding="utf-8")
    env = _live_env(sandbox, client, orcid)
    for name in ("ORCID_CLIENT_ID", "ORCID_CLIENT_SECRET", "ORCID_SANDBOX_BASE_URL",
                 "ORCID_SANDBOX_API_URL"):
        env.pop(name)  # the app's ini names its client and ORCID
    evidence = tmp_path / "evidence"
    mark = len(sandbox.control.calls()) + 1
    completed = _run(env, evidence, "--orcid-app", str(ini), "-m", "DM-3 or BP-1 or DM-8")
    assert completed.returncode == 0, completed.stdout[-4000:]
    scenarios = {s["scenario"]: s for s in read_scenarios(evidence)}
    assert scenarios["The code is exchanged at the root token URI"]["status"] == "pass"
    assert scenarios["A state the site never issued is refused"]["status"] == "pass"
    calls = sandbox.control.calls(since=mark)[:-1]
    assert not [c for c in calls if c["path"].startswith("/_emulator")]
    assert [c for c in calls if c["path"] == "/oauth/token" and c["status"] == 200]


def test_denying_fails_clearly_when_orcid_does_not_ask_because_a_grant_exists(stand_in):
    import requests

    from orcid_pyramid.compliance.browser import launch_chromium
    from orcid_pyramid.compliance.orcid_pages import OrcidPagesError, approve_in_browser
    from orcid_pyramid.compliance.site import query_params

    sandbox, client, _orcid = stand_in
    url = (f"{sandbox.base_url}/oauth/authorize?client_id={client['client_id']}"
           f"&response_type=code&scope=/read-limited&redirect_uri={DEFAULT_REDIRECT_URI}")
    with launch_chromium() as browser:
        redirect = approve_in_browser(browser, url, DEFAULT_REDIRECT_URI, EMAIL, PASSWORD)
        token = requests.post(f"{sandbox.base_url}/oauth/token", timeout=10, data={
            "client_id": client["client_id"], "client_secret": client["client_secret"],
            "grant_type": "authorization_code", "code": query_params(redirect)["code"],
            "redirect_uri": DEFAULT_REDIRECT_URI}, headers={"Accept": "application/json"})
        assert token.status_code == 200, token.text
        with pytest.raises(OrcidPagesError, match="did not ask for permission"):
            approve_in_browser(browser, url, DEFAULT_REDIRECT_URI, EMAIL, PASSWORD, deny=True)
