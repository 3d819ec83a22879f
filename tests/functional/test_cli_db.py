"""``orcid-pyramid initdb`` and ``rekey`` through click's runner, and once as a real process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from orcid_pyramid.cli import main
from orcid_pyramid.crypto import TokenCipher, TokenDecryptError, generate_key
from orcid_pyramid.migrations import head_revision
from orcid_pyramid.models import OrcidLink, OrcidPendingRevocation, get_engine

ROOT = Path(__file__).resolve().parents[2]
TOKENS = ["access-1", "refresh-1", "id-token-1", "access-2", "pending-1"]


def app_factory(global_config, **settings):  # referenced by the ini files below
    """Never called: get_appsettings only needs the section to resolve."""
    raise AssertionError("the CLI must not build the app")


def write_ini(tmp_path: Path, **settings: str) -> str:
    lines = ["[app:main]", f"use = call:{__name__}:app_factory"]
    lines += [f"{key} = {value}" for key, value in settings.items()]
    path = tmp_path / "site.ini"
    # configparser interpolates %: a PostgreSQL URL with %-escapes must be doubled
    path.write_text("\n".join(line.replace("%", "%%") for line in lines) + "\n")
    return str(path)


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def store_tokens(url: str, cipher: TokenCipher) -> None:
    engine = get_engine(url)
    with Session(engine) as session, session.begin():
        session.add(OrcidLink(user_id="a", orcid="0000-0000-0000-0001",
                              access_token_enc=cipher.encrypt("access-1"),
                              refresh_token_enc=cipher.encrypt("refresh-1"),
                              id_token_enc=cipher.encrypt("id-token-1")))
        session.add(OrcidLink(user_id="b", orcid="0000-0000-0000-0002",
                              access_token_enc=cipher.encrypt("access-2")))
        session.add(OrcidLink(user_id="c", orcid="0000-0000-0000-0003", status="revoked"))
        session.add(OrcidPendingRevocation(token_enc=cipher.encrypt("pending-1")))
    engine.dispose()


def stored_tokens(url: str) -> list[str]:
    engine = get_engine(url)
    with Session(engine) as session:
        links = session.scalars(select(OrcidLink).order_by(OrcidLink.id)).all()
        values = [v for link in links
                  for v in (link.access_token_enc, link.refresh_token_enc, link.id_token_enc)]
        values += session.scalars(select(OrcidPendingRevocation.token_enc)).all()
    engine.dispose()
    return [v for v in values if v]


@pytest.fixture
def migrated(tmp_path, fresh_db_url):
    old = generate_key()
    ini = write_ini(tmp_path, **{"orcid.sqlalchemy.url": fresh_db_url, "orcid.token_key": old})
    assert run("initdb", ini).exit_code == 0
    return ini, fresh_db_url, old


def test_initdb_creates_the_tables_then_reports_they_are_current(tmp_path, fresh_db_url):
    ini = write_ini(tmp_path, **{"sqlalchemy.url": fresh_db_url})
    first = run("initdb", ini)
    assert first.exit_code == 0, first.output
    assert f"upgraded from nothing to revision {head_revision()}" in first.output
    second = run("initdb", ini)
    assert second.exit_code == 0 and "already at revision" in second.output


def test_initdb_never_prints_the_database_password(tmp_path):
    ini = write_ini(tmp_path, **{"sqlalchemy.url": "postgresql+psycopg://u:hunter2@127.0.0.1:1/x"})
    result = run("initdb", ini)
    assert result.exit_code == 1
    assert "hunter2" not in result.output and "migrating" in result.output


@pytest.mark.parametrize("settings,message", [
    ({}, "there is no database to work on"),
    ({"sqlalchemy.url": "nosuchdb://x"}, "cannot use the database URL"),
    ({"sqlalchemy.url": "sqlite://", "orcid.timeout": "soon"}, "'soon' is not a number"),
])
def test_initdb_explains_unusable_settings(tmp_path, settings, message):
    result = run("initdb", write_ini(tmp_path, **settings))
    assert result.exit_code == 1 and message in result.output
    assert "Traceback" not in result.output


def test_a_missing_config_file_is_named(tmp_path):
    result = run("initdb", str(tmp_path / "nope.ini"))
    assert result.exit_code == 1 and "nope.ini' does not exist" in result.output


def test_rekey_re_encrypts_every_token_under_the_new_key(migrated):
    ini, url, old = migrated
    store_tokens(url, TokenCipher([old]))
    before = stored_tokens(url)
    new = generate_key()
    result = run("rekey", ini, "--new-key", new)
    assert result.exit_code == 0, result.output
    assert "Re-encrypted 5 token(s) in 3 row(s)" in result.output
    after = stored_tokens(url)
    assert len(after) == 5 and set(after).isdisjoint(before)
    new_only = TokenCipher([new])
    assert [new_only.decrypt(v) for v in after] == TOKENS  # the old key can now go
    with pytest.raises(TokenDecryptError):
        TokenCipher([old]).decrypt(after[0])


def test_rekey_generate_prints_the_key_that_now_decrypts(migrated):
    ini, url, old = migrated
    store_tokens(url, TokenCipher([old]))
    result = run("rekey", ini, "--generate")
    assert result.exit_code == 0, result.output
    key = re.search(r"not shown again\): (\S+)", result.output).group(1)
    assert [TokenCipher([key]).decrypt(v) for v in stored_tokens(url)] == TOKENS


def test_rekey_without_a_new_key_rotates_to_the_first_configured_key(tmp_path, migrated):
    _, url, old = migrated
    store_tokens(url, TokenCipher([old]))
    new = generate_key()
    ini = write_ini(tmp_path, **{"orcid.sqlalchemy.url": url, "orcid.token_key": f"{new},{old}"})
    result = run("rekey", ini)
    assert result.exit_code == 0 and "Re-encrypted 5 token(s)" in result.output
    assert [TokenCipher([new]).decrypt(v) for v in stored_tokens(url)] == TOKENS


def test_rekey_changes_nothing_when_one_token_fits_no_key(migrated):
    ini, url, old = migrated
    store_tokens(url, TokenCipher([old]))
    engine = get_engine(url)
    with Session(engine) as session, session.begin():
        session.add(OrcidLink(user_id="z", orcid="0000-0000-0000-0009",
                              access_token_enc=TokenCipher([generate_key()]).encrypt("lost")))
    engine.dispose()
    before = stored_tokens(url)
    result = run("rekey", ini, "--generate")
    assert result.exit_code == 1
    assert "orcid_links id=4 (access_token_enc) cannot be decrypted" in result.output
    assert "nothing was changed" in result.output and "not shown again" not in result.output
    assert stored_tokens(url) == before


def test_rekey_refuses_a_bad_key_and_contradictory_options(migrated):
    ini, _, _ = migrated
    bad = run("rekey", ini, "--new-key", "not-a-key")
    assert bad.exit_code == 1 and "not a valid Fernet key" in bad.output
    assert "not-a-key" not in bad.output.replace("--new-key", "")
    both = run("rekey", ini, "--new-key", generate_key(), "--generate")
    assert both.exit_code == 2 and "not both" in both.output


@pytest.mark.subprocess
def test_initdb_and_check_as_real_processes(tmp_path, fresh_db_url):
    ini = write_ini(tmp_path, **{
        "orcid.sqlalchemy.url": fresh_db_url, "orcid.environment": "emulator",
        "orcid.client_id": "APP-DEMOCLIENT000001", "orcid.client_secret": "demo-client-secret",
        "orcid.support_email": "support@example.org",
    })
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "orcid_pyramid"]
    initdb = subprocess.run([*command, "initdb", ini], capture_output=True, text=True, env=env,
                            cwd=tmp_path, timeout=120)
    assert initdb.returncode == 0, initdb.stderr
    assert f"revision {head_revision()}" in initdb.stdout
    check = subprocess.run([*command, "check", ini], capture_output=True, text=True, env=env,
                           cwd=tmp_path, timeout=120)
    assert (check.returncode, check.stdout) == (0, "OK\n"), check.stderr
