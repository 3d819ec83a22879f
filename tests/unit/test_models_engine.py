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
