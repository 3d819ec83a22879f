"""The suite's other targets: any app's ini (``--orcid-app``), the live sandbox without its
variables (``--orcid-live``; its rehearsal is ``test_compliance_live.py``), and the report
command."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from orcid_pyramid.cli.report import find_features, report, suite_command
from orcid_pyramid.compliance import suite as suite_module
from orcid_pyramid.compliance.evidence import read_scenarios

ROOT = Path(__file__).resolve().parents[2]
LIVE_VARIABLES = ("ORCID_CLIENT_ID", "ORCID_CLIENT_SECRET", "ORCID_SANDBOX_EMAIL",
                  "ORCID_SANDBOX_PASSWORD")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _suite(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = dict(env if env is not None else os.environ)
    environment.pop("ORCID_PYRAMID_TEST_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "pytest", "features", "-q", "-p",
                           "no:cacheprovider", *args], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=600, check=False)


def _ini(tmp_path: Path, port: int) -> Path:
    from orcid_pyramid.crypto import generate_key

    ini = tmp_path / "site.ini"
    ini.write_text(f"""[app:main]
use = egg:orcid-pyramid#demo
orcid.environment = emulator
orcid.base_url = http://127.0.0.1:{port}
orcid.api_url = http://127.0.0.1:{port}/api
orcid.client_id = APP-DEMOCLIENT000001
orcid.client_secret = demo-client-secret
orcid.support_email = support@example.org
orcid.token_key = {generate_key()}
orcid.sqlalchemy.url = sqlite:///{tmp_path / 'site.sqlite'}
orcid.create_tables = true
demo.session_secret = a-test-secret-for-the-app-target-0123456789
orcid.compliance.sign_in = orcid_pyramid.compliance.site:demo_sign_in
orcid.compliance.users =
    alice:demo-password:Josiah:Carberry:josiah.carberry@example.org:0000-0002-1825-0097:demo-password
""", encoding="utf-8")
    return ini


@pytest.mark.subprocess
def test_the_suite_runs_against_an_app_ini_and_skips_demo_only_scenarios(tmp_path):
    ini = _ini(tmp_path, _free_port())
    evidence = tmp_path / "evidence"
    completed = _suite("--orcid-app", str(ini), "--orcid-evidence", str(evidence),
                       "-m", "DM-3 or BP-4 or BP-2")
    output = completed.stdout + completed.stderr
    scenarios = {s["scenario"]: s for s in read_scenarios(evidence)}
    assert completed.returncode == 0, output
    assert scenarios["The code is exchanged at the root token URI"]["status"] == "pass"
    assert scenarios["Existing permissions are checked before asking again"]["status"] == "pass"
    browser = scenarios["The browser is signed out of ORCID before connecting"]
    assert browser["status"] == "skip"
    assert "demo site only" in browser["message"] or "Chromium" in browser["message"]


@pytest.mark.subprocess
def test_live_mode_without_credentials_skips_and_names_what_is_missing(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in LIVE_VARIABLES}
    evidence = tmp_path / "evidence"
    completed = _suite("--orcid-live", "--orcid-evidence", str(evidence), "-m", "DM-3",
                       env=env)
    scenarios = read_scenarios(evidence)
    assert completed.returncode == 0, completed.stdout
    assert scenarios and all(s["status"] == "skip" for s in scenarios)
    assert all("ORCID_CLIENT_ID" in s["message"] for s in scenarios)


def test_the_report_command_says_clearly_when_there_are_no_features(tmp_path):
    result = CliRunner().invoke(report, ["--out", str(tmp_path / "r"),
                                         "--features", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert "no features/ folder" in result.output
    assert "Traceback" not in result.output


def test_the_report_command_runs_the_suite_with_the_plugin_and_its_options(tmp_path):
    command = suite_command(ROOT / "features", tmp_path, live=True, app="site.ini",
                            screenshots=False)
    assert command[1:4] == ["-m", "pytest", str(ROOT / "features")]
    assert find_features(None) == Path(suite_module.__file__).resolve()
    assert ["-p", "orcid_pyramid.compliance.plugin"] == command[4:6]
    assert "--orcid-live" in command and "--orcid-no-screenshots" in command
    assert command[command.index("--orcid-evidence") + 1] == str(tmp_path)
    assert command[command.index("--orcid-app") + 1] == str(Path("site.ini").resolve())


@pytest.mark.subprocess
def test_browser_scenarios_skip_with_a_reason_when_there_is_no_chromium(tmp_path):
    env = dict(os.environ, ORCID_CHROMIUM=str(tmp_path / "no-chromium-here"))
    evidence = tmp_path / "evidence"
    completed = _suite("--orcid-evidence", str(evidence), "-m", "BP-2 and browser", env=env)
    scenarios = read_scenarios(evidence)
    assert completed.returncode == 0, completed.stdout
    assert [s["status"] for s in scenarios] == ["skip"]
    assert scenarios[0]["message"].startswith("no browser")
    assert "apt-get install chromium" in scenarios[0]["message"]


def test_the_live_report_refuses_to_start_without_its_variables_and_names_them(tmp_path):
    env = {name: None for name in LIVE_VARIABLES}
    env["ORCID_CLIENT_ID"] = "APP-SOMECLIENT"
    result = CliRunner().invoke(report, ["--live", "--out", str(tmp_path / "r")], env=env)
    assert result.exit_code == 1
    for name in ("ORCID_CLIENT_SECRET", "ORCID_SANDBOX_EMAIL", "ORCID_SANDBOX_PASSWORD"):
        assert name in result.output
    assert "ORCID_CLIENT_ID" not in result.output.split("needs", 1)[1]
    assert not (tmp_path / "r").exists(), "nothing is written for a run that cannot start"


@pytest.mark.subprocess
def test_live_runs_refuse_parallel_workers_and_say_why():
    completed = _suite("--orcid-live", "-n", "2")
    assert completed.returncode == 4
    assert "one scenario at a time" in completed.stderr + completed.stdout
