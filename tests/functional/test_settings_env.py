"""``env:NAME`` settings are read the same way by every entry point: ``orcid-pyramid`` commands
(click's runner), ``config.include("orcid_pyramid")`` and ``pserve`` (a real process).
A missing variable is named in one line and never taken as a value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from pyramid.authentication import SessionAuthenticationHelper
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError
from pyramid.session import SignedCookieSessionFactory
from sqlalchemy import create_engine, inspect

from orcid_pyramid.cli import main
from orcid_pyramid.crypto import generate_key
from tests.functional.test_cli_db import write_ini

ROOT = Path(__file__).resolve().parents[2]
FROM_ENV = {
    "orcid.client_id": "env:OP_TEST_CLIENT_ID",
    "orcid.client_secret": "env:OP_TEST_CLIENT_SECRET",
    "orcid.token_key": "env:OP_TEST_TOKEN_KEY",
    "orcid.support_email": "env:OP_TEST_SUPPORT_EMAIL",
    "sqlalchemy.url": "env:OP_TEST_DATABASE_URL",
    "orcid.redirect_uri": "https://site.example.org/orcid/callback",
}


def environment(tmp_path: Path) -> dict[str, str]:
    return {
        "OP_TEST_CLIENT_ID": "APP-NPXKK6HFN6TJ4YYI",
        "OP_TEST_CLIENT_SECRET": "a-secret-from-the-environment",
        "OP_TEST_TOKEN_KEY": generate_key(),
        "OP_TEST_SUPPORT_EMAIL": "support@example.org",
        "OP_TEST_DATABASE_URL": f"sqlite:///{tmp_path / 'env.sqlite'}",
    }


def invoke(args, env):
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False)


def test_check_reads_env_values_as_the_running_site_does(tmp_path):
    """Fails on main: check read the raw ``env:...`` strings (invalid key, e-mail...)."""
    result = invoke(["check", write_ini(tmp_path, **FROM_ENV)], environment(tmp_path))
    assert (result.exit_code, result.output) == (0, "OK\n")


def test_check_names_every_missing_variable_in_one_line(tmp_path):
    """Fails on main: ``env:OP_TEST_CLIENT_ID`` was accepted as the client id."""
    env = {**environment(tmp_path), "OP_TEST_CLIENT_ID": None, "OP_TEST_DATABASE_URL": ""}
    result = invoke(["check", write_ini(tmp_path, **FROM_ENV)], env)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert len(lines) == 1, result.output
    assert "OP_TEST_CLIENT_ID (for orcid.client_id)" in lines[0]
    assert "OP_TEST_DATABASE_URL (for sqlalchemy.url)" in lines[0]
    assert "OP_TEST_CLIENT_SECRET" not in lines[0] and "Traceback" not in result.output


def test_initdb_and_rekey_use_the_database_url_from_the_environment(tmp_path):
    """Fails on main: initdb could not parse ``env:OP_TEST_DATABASE_URL`` as a URL."""
    env = environment(tmp_path)
    ini = write_ini(tmp_path, **FROM_ENV)
    assert invoke(["initdb", ini], env).exit_code == 0
    assert "orcid_links" in inspect(create_engine(env["OP_TEST_DATABASE_URL"])).get_table_names()
    rekey = invoke(["rekey", ini], env)
    assert rekey.exit_code == 0 and "Re-encrypted 0 token(s)" in rekey.output
    assert invoke(["check", "--db", ini], env).output == "OK\n"


@pytest.mark.parametrize("command", ["initdb", "rekey", "sync"])
def test_every_command_names_a_missing_variable_without_a_traceback(tmp_path, command):
    env = {**environment(tmp_path), "OP_TEST_TOKEN_KEY": None}
    args = [command, write_ini(tmp_path, **FROM_ENV)] + (["--once"] if command == "sync" else [])
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 1
    assert "OP_TEST_TOKEN_KEY (for orcid.token_key)" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def _host_config(settings: dict) -> Configurator:
    config = Configurator(settings=settings)
    config.set_session_factory(SignedCookieSessionFactory("host-secret"))

    class Policy:
        helper = SessionAuthenticationHelper()

        def identity(self, request):
            return None

        def authenticated_userid(self, request):
            return None

        def permits(self, request, context, permission):
            return False

    config.set_security_policy(Policy())
    return config


def test_config_include_reads_env_values(tmp_path, monkeypatch):
    """Fails on main: the add-on kept ``env:OP_TEST_CLIENT_ID`` as the client id."""
    for name, value in environment(tmp_path).items():
        monkeypatch.setenv(name, value)
    config = _host_config(dict(FROM_ENV))
    config.include("orcid_pyramid")
    settings = config.registry["orcid.settings"]
    assert settings.client_id == "APP-NPXKK6HFN6TJ4YYI"
    assert settings.sqlalchemy_url == os.environ["OP_TEST_DATABASE_URL"]
    assert config.get_settings()["orcid.client_id"] == "APP-NPXKK6HFN6TJ4YYI"


def test_config_include_refuses_a_missing_variable(tmp_path, monkeypatch):
    for name, value in environment(tmp_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("OP_TEST_CLIENT_SECRET")
    with pytest.raises(ConfigurationError) as err:
        _host_config(dict(FROM_ENV)).include("orcid_pyramid")
    assert str(err.value) == ("environment variable(s) not set: OP_TEST_CLIENT_SECRET "
                              "(for orcid.client_secret)")


@pytest.mark.subprocess
def test_pserve_names_the_missing_variables_in_one_line_without_a_traceback(tmp_path):
    """Fails on main: pserve production.ini ended in a ConfigurationError traceback."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ORCID_", "DATABASE_URL", "SESSION_SECRET", "DEMO_"))}
    pserve = Path(sys.executable).with_name("pserve")
    done = subprocess.run([str(pserve), str(ROOT / "production.ini")], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if "not set" in line]
    assert len(lines) == 1, done.stderr
    for name in ("ORCID_CLIENT_ID", "ORCID_CLIENT_SECRET", "DATABASE_URL", "ORCID_TOKEN_KEY"):
        assert name in lines[0]


def test_env_with_a_default_falls_back_only_when_the_variable_is_unset(tmp_path):
    """``env:NAME|default``: the default when NAME is unset or empty; ``env:NAME|``: the
    add-on's own default (orcid.timeout 10)."""
    settings = {**FROM_ENV, "orcid.environment": "env:OP_TEST_ENVIRONMENT|emulator",
                "orcid.timeout": "env:OP_TEST_TIMEOUT|", "orcid.redirect_uri": ""}
    ini = write_ini(tmp_path, **settings)
    env = {**environment(tmp_path), "OP_TEST_ENVIRONMENT": None, "OP_TEST_TIMEOUT": None}
    assert invoke(["check", ini], env).output == "OK\n"  # emulator: no redirect URI needed
    env["OP_TEST_ENVIRONMENT"] = "sandbox"
    refused = invoke(["check", ini], env)
    assert refused.exit_code == 1 and "orcid.redirect_uri: is required" in refused.output
