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
from zope.sqlalchemy.datamanager import (
    ZopeStatus,
    ZopeTransactionEvents,
    join_transaction,
    mark_changed,
)

from orcid_pyramid.settings import OrcidSettings, settings_from_registry

from .calllog import OrcidCall
from .link import STATUS_ACTIVE, STATUS_REVOKED, OrcidLink
from .meta import NAMING_CONVENTION, PLAN_FOR_THE_VALUES, Base, UTCDateTime, metadata, utcnow
from .revocation import OrcidPendingRevocation
from .tasks import OrcidTask, OrcidUsedState

__all__ = [
    "Base",
    "NAMING_CONVENTION",
    "OrcidCall",
    "OrcidLink",
    "OrcidPendingRevocation",
    "OrcidTask",
    "OrcidUsedState",
    "PLAN_FOR_THE_VALUES",
    "STATUS_ACTIVE",
    "STATUS_REVOKED",
    "UTCDateTime",
    "get_engine",
    "get_session_factory",
    "get_tm_session",
    "includeme",
    "metadata",
    "plan_for_the_values",
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
    plan_for_the_values(engine)
    return engine


def plan_for_the_values(engine: Engine) -> None:
    """PostgreSQL (psycopg): the statements of ``engine`` marked with the execution option
    :data:`PLAN_FOR_THE_VALUES` are never prepared, so each run is planned for its values and
    the tables as they are then.

    psycopg prepares a statement on its fifth run on a connection, and PostgreSQL then keeps a
    generic plan once it costs no more than the custom ones. Decided while a new install's
    outbox was still nearly empty, the generic plan of the per-key lookups
    (:func:`~orcid_pyramid.sync.rows.by_key`) read the whole table for each key and kept doing
    so as the table grew: a first import's ``put_many`` went from 0.45 ms per work at 2,500
    rows to 3.17 ms at 20,000, against 0.27-0.36 ms throughout planned for the values
    (``benchmarks/bench_first_import.py``). Other statements keep psycopg's default."""
    if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
        return

    @event.listens_for(engine, "do_execute")
    def _unprepared(cursor, statement, parameters, context):
        if not context.execution_options.get(PLAN_FOR_THE_VALUES):
            return None
        cursor.execute(statement, parameters, prepare=False)
        return True


_NO_URL = ("orcid-pyramid has no database: set orcid.sqlalchemy.url (or the host's "
           "sqlalchemy.url)")


#: how long (ms) a SQLite connection waits for another one's write lock before "locked"
SQLITE_BUSY_TIMEOUT_MS = 5000
_CLEAN = "orcid.sqlite_read_only"  # connection.info flag: this transaction wrote nothing yet
_DML = ("INSERT", "UPDATE", "DELETE", "REPLACE")
_READS = ("SELECT", "PRAGMA", "BEGIN")


def _fix_sqlite(engine: Engine) -> None:
    """Make SQLite behave under a web server with a background worker.

    * SQLAlchemy, not the sqlite3 module, decides when transactions begin, so SAVEPOINTs and
      transactional DDL work (SQLAlchemy's documented pysqlite recipe);
    * foreign keys are enforced (SQLite ignores them by default);
    * file databases run in WAL mode, so a reader (a request showing a page) never blocks a
      writer (the worker, the call-log sink) and the other way round, and every connection
      waits up to ``SQLITE_BUSY_TIMEOUT_MS`` for another one's write lock instead of failing;
    * a transaction that has only read so far is restarted as ``BEGIN IMMEDIATE`` at its first
      INSERT/UPDATE/DELETE (see :func:`_upgrade_before_first_write`).
    """
    wal = _is_file_database(engine)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if wal:
            # persistent in the file; setting it on every connect is cheap and idempotent
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN")
        connection.info[_CLEAN] = True

    event.listen(engine, "before_cursor_execute", _upgrade_before_first_write)


def _is_file_database(engine: Engine) -> bool:
    database = engine.url.database or ""
    return bool(database) and database != ":memory:" and "mode=memory" not in str(engine.url)


def _upgrade_before_first_write(conn, cursor, statement, parameters, context, executemany):
    """Restart a read-only transaction as ``BEGIN IMMEDIATE`` just before its first write.

    Why: in WAL mode a transaction reads from the snapshot of its first SELECT. When another
    connection commits after that (the worker, the call-log sink, another request — typically
    while a view waits for ORCID), SQLite refuses to turn the old snapshot into a write
    transaction and answers "database is locked" at once, without waiting (SQLITE_BUSY_SNAPSHOT).
    Nothing was written yet, so dropping the read snapshot and taking the write lock (waiting
    for it up to the busy timeout) loses nothing; the reads made before behave as under
    PostgreSQL's default READ COMMITTED. Never done after a write, inside a SAVEPOINT or
    outside a transaction.
    """
    info = conn.info
    if not info.get(_CLEAN):
        return
    verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
    if verb in _READS:
        return
    info[_CLEAN] = False
    if verb not in _DML or not conn.in_transaction() or conn.in_nested_transaction():
        return
    dbapi = cursor.connection
    if not dbapi.in_transaction:
        return
    try:
        dbapi.execute("ROLLBACK")
    except Exception:  # an unfinished read holds the snapshot: write in it as before
        return
    try:
        dbapi.execute("BEGIN IMMEDIATE")
    except Exception:
        # still no write lock after the busy timeout: stay in a transaction (SQLAlchemy
        # believes it is in one) and let the write fail as it would have
        dbapi.execute("BEGIN")
        raise


def get_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to ``engine``."""
    return sessionmaker(bind=engine)


#: ``session.info`` key: the transaction manager a session made by :func:`get_tm_session` joins
TM_KEY = "orcid.transaction_manager"
_REGISTERED = "_orcid_tm_events"  # sessionmaker attribute: zope.sqlalchemy's events are on it


class _SessionTransactionEvents(ZopeTransactionEvents):
    """zope.sqlalchemy's events, listened to ONCE on a session factory, for the transaction
    manager each session carries in ``session.info[TM_KEY]``; a session made by the same
    factory without one (a plain ``with factory() as session``) is left alone.

    Why: ``zope.sqlalchemy.register(session)`` adds seven listeners to each new session, which
    costs more than making the session (about a tenth of a panel page)."""

    def __init__(self) -> None:
        super().__init__()
        self.transaction_manager = None  # never used: each session names its own

    def after_begin(self, session, transaction, connection):
        manager = session.info.get(TM_KEY)
        if manager is not None:
            join_transaction(session, self.initial_state, manager, self.keep_session)

    def after_attach(self, session, instance):
        manager = session.info.get(TM_KEY)
        if manager is not None:
            join_transaction(session, self.initial_state, manager, self.keep_session)

    def after_flush(self, session, flush_context):
        manager = session.info.get(TM_KEY)
        if manager is not None:
            mark_changed(session, manager, self.keep_session)

    def after_bulk_update(self, update_context):
        self.after_flush(update_context.session, None)

    def after_bulk_delete(self, delete_context):
        self.after_flush(delete_context.session, None)

    def before_commit(self, session):
        manager = session.info.get(TM_KEY)
        if manager is None:
            return
        assert session.in_nested_transaction() \
            or manager.get().status == ZopeStatus.COMMITTING, \
            "Transaction must be committed using the transaction manager"

    def do_orm_execute(self, execute_state):
        if execute_state.is_orm_statement and (
                execute_state.is_update or execute_state.is_insert or execute_state.is_delete):
            self.after_flush(execute_state.session, None)

    def mark_changed(self, session):
        self.after_flush(session, None)

    def join_transaction(self, session):
        self.after_attach(session, None)


def get_tm_session(session_factory: sessionmaker[Session], transaction_manager, request=None):
    """A session joined to ``transaction_manager`` (zope.sqlalchemy).

    In a request, pass ``request.tm`` and the request: the session commits or aborts with it.
    In a script::

        import transaction
        with transaction.manager:
            db = get_tm_session(factory, transaction.manager)
            db.add(...)

    The request is kept in ``session.info["request"]`` for event handlers that need it, the
    transaction manager in ``session.info[TM_KEY]``. zope.sqlalchemy's events are added to a
    ``sessionmaker`` once, on first use (other factories: to each session, as
    ``zope.sqlalchemy.register`` does).
    """
    if not isinstance(session_factory, sessionmaker):
        session = session_factory(info={"request": request})
        zope.sqlalchemy.register(session, transaction_manager=transaction_manager)
        return session
    _listen_once(session_factory)
    return session_factory(info={"request": request, TM_KEY: transaction_manager})


def _listen_once(session_factory: sessionmaker) -> None:
    """Add :class:`_SessionTransactionEvents` to ``session_factory`` unless it has them."""
    if getattr(session_factory, _REGISTERED, None) is not None:
        return
    events = _SessionTransactionEvents()
    for name in ("after_begin", "after_attach", "after_flush", "after_bulk_update",
                 "after_bulk_delete", "before_commit", "do_orm_execute"):
        event.listen(session_factory, name, getattr(events, name))
    setattr(session_factory, _REGISTERED, events)


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
    factory = config.registry["orcid.dbsession_factory"] = get_session_factory(engine)
    _listen_once(factory)  # at startup, not by the first requests at once
    if s.create_tables:
        # the demo and emulator contexts only; real sites run `orcid-pyramid initdb`. The
        # same function as initdb: the tables carry the Alembic head's revision
        from orcid_pyramid.migrations import MigrationError, ensure_head

        try:
            ensure_head(engine)
        except MigrationError as exc:
            raise ConfigurationError(f"orcid.create_tables: {exc}") from None
    config.add_request_method(_orcid_db, "orcid_db", reify=True)
