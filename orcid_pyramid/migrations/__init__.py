"""Alembic migrations for the add-on's ``orcid_*`` tables, configured in code.

The add-on keeps its own version table (``orcid_alembic_version``) and only ever looks at
tables named ``orcid_*``, so it can share a database with the host's own Alembic history.
Users run ``orcid-pyramid initdb CONFIG``; no alembic.ini is needed.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
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
