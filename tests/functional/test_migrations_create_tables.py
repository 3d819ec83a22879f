"""``orcid.create_tables`` and ``orcid-pyramid initdb`` make the same database: the tables
carry the Alembic head, and ``initdb`` and ``check --db`` agree on every database the add-on
created, including one an older ``create_tables`` made without a revision. Runs on SQLite and,
with ORCID_PYRAMID_TEST_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from click.testing import CliRunner

from orcid_pyramid.cli import main
from orcid_pyramid.crypto import generate_key
from orcid_pyramid.migrations import VERSION_TABLE, current_revision, head_revision
from orcid_pyramid.models import Base, get_engine
from tests.functional.test_cli_db import write_ini

CORE = ("orcid_links", "orcid_calls", "orcid_pending_revocations")


def ini_for(tmp_path, url: str) -> str:
    return write_ini(tmp_path, **{
        "orcid.environment": "emulator", "orcid.client_id": "APP-NPXKK6HFN6TJ4YYI",
        "orcid.client_secret": "secret", "orcid.support_email": "support@example.org",
        "orcid.token_key": generate_key(), "sqlalchemy.url": url})


def cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def revision(url: str) -> str | None:
    engine = get_engine(url)
    try:
        with engine.connect() as connection:
            return current_revision(connection)
    finally:
        engine.dispose()


def test_create_tables_stamps_the_head_and_initdb_and_check_agree(tmp_path, fresh_db_url,
                                                                  demo_app_factory):
    """Fails on main: check --db said "revision none" and initdb failed with "table
    orcid_links already exists"."""
    demo_app_factory(**{"orcid.sqlalchemy.url": fresh_db_url, "orcid.create_tables": "true"})
    assert revision(fresh_db_url) == head_revision()
    ini = ini_for(tmp_path, fresh_db_url)
    assert cli("check", "--db", ini).output == "OK\n"
    result = cli("initdb", ini)
    assert result.exit_code == 0 and "already at revision" in result.output


def test_initdb_adopts_the_tables_an_older_create_tables_made(tmp_path, fresh_db_url):
    """Fails on main: initdb stopped with "table orcid_links already exists"."""
    engine = get_engine(fresh_db_url)
    Base.metadata.create_all(engine)  # what create_tables did before it stamped
    engine.dispose()
    ini = ini_for(tmp_path, fresh_db_url)
    before = cli("check", "--db", ini)
    assert before.exit_code == 1 and "revision none" in before.output
    result = cli("initdb", ini)
    assert result.exit_code == 0, result.output
    assert cli("check", "--db", ini).output == "OK\n"


def test_initdb_adds_the_tables_a_newer_version_brings_to_unversioned_ones(tmp_path,
                                                                           fresh_db_url):
    engine = get_engine(fresh_db_url)
    Base.metadata.create_all(engine, tables=[Base.metadata.tables[name] for name in CORE])
    engine.dispose()
    ini = ini_for(tmp_path, fresh_db_url)
    assert cli("initdb", ini).exit_code == 0
    assert cli("check", "--db", ini).output == "OK\n"
    engine = get_engine(fresh_db_url)
    assert set(Base.metadata.tables) <= set(sa.inspect(engine).get_table_names())
    engine.dispose()


def test_initdb_refuses_unversioned_tables_that_differ_and_changes_nothing(tmp_path,
                                                                          fresh_db_url):
    engine = get_engine(fresh_db_url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE orcid_links (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    result = CliRunner().invoke(main, ["initdb", ini_for(tmp_path, fresh_db_url)])
    assert result.exit_code == 1
    assert "have no migration revision and differ" in result.output
    assert "Traceback" not in result.output
    engine = get_engine(fresh_db_url)
    assert set(sa.inspect(engine).get_table_names()) == {"orcid_links"}
    engine.dispose()


def test_a_site_starting_with_create_tables_adopts_unversioned_tables(fresh_db_url,
                                                                      demo_app_factory):
    engine = get_engine(fresh_db_url)
    Base.metadata.create_all(engine)
    engine.dispose()
    demo_app_factory(**{"orcid.sqlalchemy.url": fresh_db_url, "orcid.create_tables": "true"})
    assert revision(fresh_db_url) == head_revision()
    engine = get_engine(fresh_db_url)
    assert VERSION_TABLE in sa.inspect(engine).get_table_names()
    engine.dispose()
