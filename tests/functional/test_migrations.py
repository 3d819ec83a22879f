"""Alembic: ``upgrade head`` builds exactly the models' schema, and only touches orcid_*."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from orcid_pyramid.migrations import (
    VERSION_TABLE,
    alembic_config,
    current_revision,
    head_revision,
    include_name,
    upgrade,
)
from orcid_pyramid.models import Base, get_engine


def schema_diff(engine, metadata=Base.metadata) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "include_name": include_name, "compare_type": True, "version_table": VERSION_TABLE})
        return compare_metadata(context, metadata)


def test_upgrade_head_yields_the_models_schema(fresh_db_url):
    engine = get_engine(fresh_db_url)
    try:
        assert upgrade(engine) == head_revision()
        assert schema_diff(engine) == []
        tables = set(sa.inspect(engine).get_table_names())
        assert {"orcid_links", "orcid_calls", "orcid_pending_revocations"} <= tables
        assert VERSION_TABLE in tables
    finally:
        engine.dispose()


def test_the_comparison_would_notice_a_column_missing_from_the_migrations(fresh_db_url):
    engine = get_engine(fresh_db_url)
    try:
        upgrade(engine)
        changed = sa.MetaData()
        for table in Base.metadata.tables.values():
            table.to_metadata(changed)
        changed.tables["orcid_links"].append_column(sa.Column("nickname", sa.String(20)))
        diff = schema_diff(engine, changed)
        assert [d[0] for d in diff] == ["add_column"] and diff[0][3].name == "nickname"
    finally:
        engine.dispose()


def test_the_first_revision_creates_the_three_core_tables_with_their_constraints(fresh_db_url):
    engine = get_engine(fresh_db_url)
    try:
        assert upgrade(engine, "0001_initial") == "0001_initial"
        inspector = sa.inspect(engine)
        assert set(inspector.get_table_names()) == {
            "orcid_links", "orcid_calls", "orcid_pending_revocations", VERSION_TABLE}
        unique = {tuple(u["column_names"]) for u in inspector.get_unique_constraints("orcid_links")}
        assert {("user_id",), ("orcid",)} <= unique
        core = sa.MetaData()
        for name in ("orcid_links", "orcid_calls", "orcid_pending_revocations"):
            Base.metadata.tables[name].to_metadata(core)
        # added by 0003_tasks: the first revision's table did not have it
        revocations = core.tables["orcid_pending_revocations"]
        revocations._columns.remove(revocations.c.orcid)
        revocations._columns.remove(revocations.c.user_id)  # added by 0004_revocation_user
        assert schema_diff(engine, core) == []
    finally:
        engine.dispose()


def test_migrations_leave_the_hosts_tables_and_version_table_alone(fresh_db_url):
    engine = get_engine(fresh_db_url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE users (id INTEGER PRIMARY KEY)"))
            connection.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
            connection.execute(sa.text("INSERT INTO alembic_version VALUES ('host0042')"))
        upgrade(engine)
        upgrade(engine)  # a second run is a no-op
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "base")
        inspector = sa.inspect(engine)
        assert set(inspector.get_table_names()) == {"users", "alembic_version", VERSION_TABLE}
        with engine.connect() as connection:
            host_version = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
            assert host_version.scalar_one() == "host0042"
            assert current_revision(connection) is None
    finally:
        engine.dispose()


def _fillfactors(engine) -> dict:
    with engine.connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT relname, reloptions FROM pg_class WHERE relname IN"
            " ('orcid_outbox', 'orcid_items') AND relkind = 'r'"
            " AND relnamespace = to_regnamespace(current_schema())::oid")).all()
    return {name: options for name, options in rows}


def test_the_worker_s_tables_leave_room_for_updates_in_place(fresh_db_url):
    """PostgreSQL: the outbox and item tables have fillfactor 70, whether made by the
    migrations or by create_all (models.sync.UPDATED_IN_PLACE)."""
    engine = get_engine(fresh_db_url)
    try:
        if engine.dialect.name != "postgresql":
            pytest.skip("fillfactor is a PostgreSQL storage parameter (the PostgreSQL run)")
        upgrade(engine)
        assert _fillfactors(engine) == {"orcid_outbox": ["fillfactor=70"],
                                        "orcid_items": ["fillfactor=70"]}
        with engine.begin() as connection:
            for table in ("orcid_outbox", "orcid_items"):
                connection.execute(sa.text(f"ALTER TABLE {table} RESET (fillfactor)"))
            Base.metadata.tables["orcid_outbox"].drop(connection)
            Base.metadata.tables["orcid_outbox"].create(connection)
        assert _fillfactors(engine)["orcid_outbox"] == ["fillfactor=70"]
    finally:
        engine.dispose()
