"""Alembic migrations for the add-on's ``orcid_*`` tables, configured in code.

The add-on keeps its own version table (``orcid_alembic_version``) and only ever looks at
tables named ``orcid_*``, so it can share a database with the host's own Alembic history.
Users run ``orcid-pyramid initdb CONFIG``; no alembic.ini is needed.

:func:`ensure_head` is the one way the add-on's tables come to be: ``initdb`` and
``orcid.create_tables`` both call it, so every database the add-on created carries a revision
and ``check --db`` agrees with ``initdb`` about it. A database whose tables an older
``orcid.create_tables`` made without a revision is adopted when its schema is the head's.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine

SCRIPT_LOCATION = "orcid_pyramid:migrations"
VERSION_TABLE = "orcid_alembic_version"
TABLE_PREFIX = "orcid_"


def include_name(name: str | None, type_: str, parent_names) -> bool:
    """Alembic filter: the add-on's tables only, never the host's."""
    if type_ == "table":
        return bool(name) and name.startswith(TABLE_PREFIX)
    return True


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic ``Config`` for the add-on; ``connection`` is used by ``env.py`` as is."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """The newest revision shipped with the add-on."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at (None: never migrated)."""
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Upgrade the add-on's tables on ``engine`` to ``revision``; returns the new revision."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)
    with engine.connect() as connection:
        return current_revision(connection)


class MigrationError(Exception):
    """The tables cannot be brought to the head safely; the message says what differs."""


def _orcid_tables(connection: Connection) -> set[str]:
    return {name for name in inspect(connection).get_table_names()
            if name.startswith(TABLE_PREFIX) and name != VERSION_TABLE}


def schema_differences(connection: Connection) -> list:
    """Alembic's comparison of the ``orcid_*`` tables with the models (empty: the same)."""
    from alembic.autogenerate import compare_metadata

    from orcid_pyramid.models import Base

    context = MigrationContext.configure(connection, opts={
        "include_name": include_name, "compare_type": True, "version_table": VERSION_TABLE})
    return compare_metadata(context, Base.metadata)


def _stamp_head(connection: Connection) -> None:
    command.stamp(alembic_config(connection), "head")


def _adopt(engine: Engine) -> None:
    """Tables made by ``create_all`` without a revision: create the tables that are missing
    (what the next ``create_all`` would have done), then stamp the head when the schema is
    the head's; otherwise refuse, naming the differences."""
    from orcid_pyramid.models import Base

    with engine.begin() as connection:
        differences = schema_differences(connection)
        if differences and all(isinstance(d, tuple) and d[0] in ("add_table", "add_index")
                               for d in differences):
            # by name: the comparison's Table objects are copies without their indexes
            missing = [Base.metadata.tables[d[1].name] for d in differences
                       if d[0] == "add_table"]
            Base.metadata.create_all(connection, tables=missing)
            differences = schema_differences(connection)
        if differences:
            shown = "; ".join(_describe(d) for d in differences[:5])
            raise MigrationError(
                f"the orcid_* tables have no migration revision and differ from revision "
                f"{head_revision()}: {shown}. Nothing was changed; bring them in line (or "
                "restore a migrated copy) and run initdb again")
        _stamp_head(connection)


def _describe(difference) -> str:
    if isinstance(difference, list):
        return ", ".join(_describe(d) for d in difference)
    kind, *rest = difference
    names = [getattr(r, "name", None) or str(r) for r in rest[:3] if r is not None]
    return f"{kind} {' '.join(map(str, names))}".strip()


def ensure_head(engine: Engine) -> tuple[str | None, str | None]:
    """Bring the add-on's tables on ``engine`` to the head; returns (before, after).

    An empty database gets the models' tables and the head's stamp in one transaction (the
    migrations' drift test keeps the two identical); a migrated one is upgraded; tables
    without a revision are adopted (see :func:`_adopt`). Raises :class:`MigrationError`.
    """
    from orcid_pyramid.models import Base

    with engine.connect() as connection:
        before = current_revision(connection)
        existing = _orcid_tables(connection)
    if before is None and not existing:
        with engine.begin() as connection:
            Base.metadata.create_all(connection)
            _stamp_head(connection)
    elif before is None:
        _adopt(engine)
    after = upgrade(engine)
    return before, after
