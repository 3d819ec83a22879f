"""``orcid-pyramid audit``'s command line, through click's runner: a journey file it cannot
use, or an emulator that does not answer, is a clear message and exit 2 (the report's code
for "could not run"), never a traceback and never a report."""

from __future__ import annotations

import socket

import pytest
from click.testing import CliRunner

from orcid_pyramid.cli import main


def _audit(tmp_path, journey: str, *extra: str):
    (tmp_path / "journey.toml").write_text(journey, encoding="utf-8")
    return CliRunner().invoke(main, [
        "audit", "--site", "https://127.0.0.1:9", "--client-id", "APP-X",
        "--client-secret", "s3cret-value", "--redirect-uri", "https://127.0.0.1:9/cb",
        "--journey", str(tmp_path / "journey.toml"), "--out", str(tmp_path / "out"), *extra])


@pytest.mark.parametrize(("journey", "said"), [
    ('display = ["/p"]', "the journey needs 'connect'"),
    ('connect = [{goto = "/"}]\nlogin = []', "unknown journey key(s) login"),
    ('connect = [{press = "#x"}]', "'connect' step 1: unknown action 'press'"),
    ('connect = [{goto = "/", click = "#c"}]', "must have exactly one of"),
    ('connect = [{fill = {"#u" = 3}}]', "'fill' maps selectors to text values"),
    ('connect = "/"', "'connect' must be a list of steps"),
    ("connect = [", "is not valid TOML"),
    ('connect = [{click = "#c"}]\n[researcher]\norcid = "0000-0001-2345-6789"',
     "'researcher' may only hold"),
])
def test_a_journey_the_audit_cannot_use_is_refused_with_what_to_fix(tmp_path, journey, said):
    result = _audit(tmp_path, journey)
    assert result.exit_code == 2, result.output
    assert said in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out" / "report.json").exists()


def test_an_emulator_that_does_not_answer_is_said_so(tmp_path):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = _audit(tmp_path, 'connect = [{goto = "/"}, {click = "#c"}]',
                    "--emulator", f"https://127.0.0.1:{port}")
    assert result.exit_code == 2, result.output
    assert f"no emulator answers at https://127.0.0.1:{port}" in result.output
    assert "s3cret-value" not in result.output
