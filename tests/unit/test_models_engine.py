"""get_engine: where the URL and the engine options come from, and what a missing URL says."""

from __future__ import annotations

import pytest
from pyramid.config import Configurator
from pyramid.exceptions import ConfigurationError

from orcid_pyramid.models import get_engine
from orcid_pyramid.settings import load_settings


def test_the_add_on_prefix_carries_engine_options():
    engine = get_engine({"orcid.sqlalchemy.url": "sqlite:///:memory:",
                         "orcid.sqlalchemy.echo": "true", "sqlalchemy.url": "postgresql://h/x"})
    assert engine.dialect.name == "sqlite" and engine.echo is True
    engine.dispose()


def test_the_hosts_database_is_the_fallback():
    engine = get_engine({"sqlalchemy.url": "sqlite:///:memory:"})
    assert engine.dialect.name == "sqlite" and not engine.echo
    engine.dispose()


@pytest.mark.parametrize("source", [{}, "", load_settings({})])
def test_no_url_is_a_configuration_error_naming_the_setting(source):
    with pytest.raises(ConfigurationError, match="set orcid.sqlalchemy.url"):
        get_engine(source)


def test_includeme_without_a_database_says_what_to_set():
    config = Configurator(settings={})
    with pytest.raises(ConfigurationError, match="orcid.sqlalchemy.url"):
        config.include("orcid_pyramid.models")


def test_sqlite_savepoints_work(tmp_path):
    engine = get_engine(f"sqlite:///{tmp_path / 'sp.sqlite'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        connection.exec_driver_sql("INSERT INTO t VALUES (1)")
        savepoint = connection.begin_nested()
        connection.exec_driver_sql("INSERT INTO t VALUES (2)")
        savepoint.rollback()
        assert connection.exec_driver_sql("SELECT x FROM t").scalars().all() == [1]
    engine.dispose()


def test_sqlite_file_databases_run_in_wal_mode_with_a_busy_timeout(tmp_path):
    """Readers never block the worker's writes (WAL) and a writer waits for the lock instead
    of failing at once (busy_timeout)."""
    from orcid_pyramid.models import SQLITE_BUSY_TIMEOUT_MS

    engine = get_engine(f"sqlite:///{tmp_path / 'wal.sqlite'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == (
            SQLITE_BUSY_TIMEOUT_MS)
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()
    memory = get_engine("sqlite://")
    with memory.connect() as connection:  # WAL needs a file; memory keeps its own journal
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "memory"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == (
            SQLITE_BUSY_TIMEOUT_MS)
    memory.dispose()


def _two_tables(tmp_path):
    engine = get_engine(f"sqlite:///{tmp_path / 'rw.sqlite'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        connection.exec_driver_sql("CREATE TABLE u (x INTEGER)")
    return engine


def test_sqlite_read_then_other_commit_then_write_succeeds(tmp_path):
    """The transaction that only read is restarted for its first write: no "database is
    locked" (SQLITE_BUSY_SNAPSHOT), and the write sees the other connection's commit."""
    engine = _two_tables(tmp_path)
    with engine.connect() as request:
        request.begin()
        assert request.exec_driver_sql("SELECT count(*) FROM u").scalar() == 0
        with engine.begin() as other:
            other.exec_driver_sql("INSERT INTO u VALUES (1)")
        request.exec_driver_sql("INSERT INTO t SELECT x FROM u")
        request.commit()
    with engine.connect() as check:
        assert check.exec_driver_sql("SELECT x FROM t").scalars().all() == [1]
    engine.dispose()


def test_sqlite_transaction_is_not_restarted_after_its_first_write(tmp_path):
    """A restart after a write would silently drop it: two writes in one transaction both
    land, and a rollback undoes both."""
    engine = _two_tables(tmp_path)
    with engine.connect() as connection:
        connection.begin()
        connection.exec_driver_sql("INSERT INTO t VALUES (1)")
        connection.exec_driver_sql("SELECT count(*) FROM t")
        connection.exec_driver_sql("INSERT INTO t VALUES (2)")
        assert connection.exec_driver_sql("SELECT count(*) FROM t").scalar() == 2
        connection.rollback()
        connection.begin()
        connection.exec_driver_sql("INSERT INTO t VALUES (3)")
        connection.commit()
    with engine.connect() as check:
        assert check.exec_driver_sql("SELECT x FROM t").scalars().all() == [3]
    engine.dispose()


def test_sqlite_savepoint_rollback_still_keeps_the_outer_write(tmp_path):
    """No restart inside a SAVEPOINT: the outer transaction's state stays intact."""
    engine = _two_tables(tmp_path)
    with engine.begin() as connection:
        connection.exec_driver_sql("SELECT count(*) FROM t")
        savepoint = connection.begin_nested()
        connection.exec_driver_sql("INSERT INTO t VALUES (1)")
        savepoint.rollback()
        connection.exec_driver_sql("INSERT INTO t VALUES (2)")
    with engine.connect() as check:
        assert check.exec_driver_sql("SELECT x FROM t").scalars().all() == [2]
    engine.dispose()
