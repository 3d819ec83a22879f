"""The add-on's tables and its database plumbing (the pyramid-cookiecutter shape).

``includeme`` builds the add-on's own engine from ``OrcidSettings.sqlalchemy_url`` and adds
``request.orcid_db``: a session joined to ``request.tm`` (pyramid_tm), so the add-on's rows
commit or roll back with the host's request.

Test hooks (documented API):
- settings key ``orcid.dbengine``: an ``Engine`` object to use instead of building one;
- WSGI environ key ``orcid.dbsession``: a ready session that ``request.orcid_db`` returns
  as is (the caller owns its transaction, e.g. one rolled back after the test).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Mapping
from typing import Any

import zope.sqlalchemy
from pyramid.exceptions import ConfigurationError
from sqlalchemy import create_engine, engine_from_config, event
from sqlalchemy.engine import URL, Engine
from sqlalchemy.orm import Session, configure_mappers, sessionmaker

from orcid_pyramid.settings import OrcidSettings, settings_from_registry

from .calllog import OrcidCall
from .link import STATUS_ACTIVE, STATUS_REVOKED, OrcidLink
from .meta import NAMING_CONVENTION, Base, UTCDateTime, metadata, utcnow
from .revocation import OrcidPendingRevocation

__all__ = [
    "Base",
    "NAMING_CONVENTION",
    "OrcidCall",
    "OrcidLink",
    "OrcidPendingRevocation",
    "STATUS_ACTIVE",
    "STATUS_REVOKED",
    "UTCDateTime",
    "get_engine",
    "get_session_factory",
    "get_tm_session",
    "includeme",
    "metadata",
    "utcnow",
]

# The sync engine owns models/sync.py; import it when present so Base.metadata is complete
# (migrations and create_all see every table). find_spec keeps a real error inside it visible.
if importlib.util.find_spec("orcid_pyramid.models.sync") is not None:
    importlib.import_module("orcid_pyramid.models.sync")

configure_mappers()


def get_engine(settings_or_url: OrcidSettings | Mapping[str, Any] | str | URL) -> Engine:
    """An engine for the add-on's tables.

    Accepts an :class:`OrcidSettings`, a Pyramid settings dict (``orcid.sqlalchemy.*`` keys,
    else the host's ``sqlalchemy.*``) or a database URL.
    """
    if isinstance(settings_or_url, OrcidSettings):
        settings_or_url = settings_or_url.sqlalchemy_url or ""
    if isinstance(settings_or_url, Mapping):
        prefix = "orcid.sqlalchemy." if settings_or_url.get("orcid.sqlalchemy.url") else (
            "sqlalchemy.")
        if not settings_or_url.get(prefix + "url"):
            raise ConfigurationError(_NO_URL)
        engine = engine_from_config(dict(settings_or_url), prefix=prefix)
    else:
        if not settings_or_url:
            raise ConfigurationError(_NO_URL)
        engine = create_engine(settings_or_url)
    if engine.dialect.name == "sqlite":
        _fix_sqlite(engine)
    return engine


_NO_URL = ("orcid-pyramid has no database: set orcid.sqlalchemy.url (or the host's "
           "sqlalchemy.url)")


def _fix_sqlite(engine: Engine) -> None:
    """Let SQLAlchemy, not the sqlite3 module, decide when transactions begin, so SAVEPOINTs
    and transactional DDL work (SQLAlchemy's documented pysqlite recipe); enforce foreign
    keys, which SQLite ignores by default."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN")


def get_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to ``engine``."""
    return sessionmaker(bind=engine)


def get_tm_session(session_factory: sessionmaker[Session], transaction_manager, request=None):
    """A session joined to ``transaction_manager`` (zope.sqlalchemy).

    In a request, pass ``request.tm`` and the request: the session commits or aborts with it.
    In a script::

        import transaction
        with transaction.manager:
            db = get_tm_session(factory, transaction.manager)
            db.add(...)

    The request is kept in ``session.info["request"]`` for event handlers that need it.
    """
    session = session_factory(info={"request": request})
    zope.sqlalchemy.register(session, transaction_manager=transaction_manager)
    return session


def _orcid_db(request) -> Session:
    session = request.environ.get("orcid.dbsession")
    if session is None:
        factory = request.registry["orcid.dbsession_factory"]
        session = get_tm_session(factory, request.tm, request=request)
    return session


def includeme(config) -> None:
    """Engine, session factory and ``request.orcid_db`` for the add-on's tables."""
    s = settings_from_registry(config.registry)
    if not s.sqlalchemy_url and not config.get_settings().get("orcid.dbengine"):
        raise ConfigurationError(_NO_URL)
    # request.orcid_db joins request.tm; including pyramid_tm twice is harmless (deduplicated)
    config.include("pyramid_tm")
    settings = config.get_settings()
    # the settings dict, not s.sqlalchemy_url: engine options (orcid.sqlalchemy.pool_size,
    # ... or the host's sqlalchemy.*) come along with the URL
    engine = settings.get("orcid.dbengine") or get_engine(settings)
    config.registry["orcid.dbengine"] = engine
    config.registry["orcid.dbsession_factory"] = get_session_factory(engine)
    if s.create_tables:
        # the demo and emulator contexts only; real sites run `orcid-pyramid initdb`
        Base.metadata.create_all(engine)
    config.add_request_method(_orcid_db, "orcid_db", reify=True)
