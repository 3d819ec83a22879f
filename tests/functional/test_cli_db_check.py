"""``orcid-pyramid check CONFIG``: the startup lint from the command line."""

from __future__ import annotations

from click.testing import CliRunner

from orcid_pyramid.cli import main
from orcid_pyramid.crypto import generate_key
from tests.functional.test_cli_db import write_ini

CLEAN = {
    "orcid.client_id": "APP-NPXKK6HFN6TJ4YYI",
    "orcid.client_secret": "secret",
    "orcid.support_email": "support@example.org",
    "orcid.redirect_uri": "https://site.example.org/orcid/callback",
    "sqlalchemy.url": "sqlite://",
}


def check(tmp_path, **settings):
    return CliRunner().invoke(main, ["check", write_ini(tmp_path, **settings)],
                              catch_exceptions=False)


def test_clean_settings_print_ok_and_exit_0(tmp_path):
    result = check(tmp_path, **CLEAN, **{"orcid.token_key": generate_key()})
    assert (result.exit_code, result.output) == (0, "OK\n")


def test_each_problem_is_one_line_and_the_exit_code_is_1(tmp_path):
    secret = "very-secret-value"
    result = check(tmp_path, **{
        **CLEAN,
        "orcid.client_secret": secret,
        "orcid.token_url": "https://api.sandbox.orcid.org/oauth/token",
        "orcid.redirect_uri": "http://example.org/orcid/callback",
    })
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "orcid.redirect_uri", "orcid.token_url", "orcid.token_key"]
    assert all("Fix:" in line for line in lines)
    assert secret not in result.output


def test_unreadable_values_are_reported_the_same_way(tmp_path):
    result = check(tmp_path, **CLEAN, **{"orcid.timeout": "soon", "orcid.state_ttl": "x"})
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "orcid.timeout: 'soon' is not a number. Fix: write a number, e.g. 10.0.",
        "orcid.state_ttl: 'x' is not a whole number. Fix: write a whole number, e.g. 600.",
    ]


def test_a_missing_file_is_an_error_not_a_traceback(tmp_path):
    result = CliRunner().invoke(main, ["check", str(tmp_path / "missing.ini")])
    assert result.exit_code == 1 and "does not exist" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_check_db_wants_the_tables_migrated_then_passes(tmp_path, fresh_db_url):
    settings = {**CLEAN, "orcid.token_key": generate_key(), "sqlalchemy.url": fresh_db_url}
    ini = write_ini(tmp_path, **settings)
    runner = CliRunner()
    before = runner.invoke(main, ["check", "--db", ini], catch_exceptions=False)
    assert before.exit_code == 1
    assert "tables are at revision none" in before.output and "initdb" in before.output
    assert runner.invoke(main, ["initdb", ini]).exit_code == 0
    after = runner.invoke(main, ["check", "--db", ini], catch_exceptions=False)
    assert (after.exit_code, after.output) == (0, "OK\n")


def test_check_db_names_an_unreachable_server_without_its_password(tmp_path):
    settings = {**CLEAN, "orcid.token_key": generate_key(),
                "sqlalchemy.url": "postgresql+psycopg://u:hunter2@127.0.0.1:1/x"}
    result = CliRunner().invoke(main, ["check", "--db", write_ini(tmp_path, **settings)],
                                catch_exceptions=False)
    assert result.exit_code == 1 and "cannot be reached" in result.output
    assert "hunter2" not in result.output
