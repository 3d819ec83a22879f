"""Alembic environment for orcid-pyramid (see ``orcid_pyramid.migrations``)."""

from __future__ import annotations

from alembic import context

from orcid_pyramid.migrations import VERSION_TABLE, include_name
from orcid_pyramid.models import Base, get_engine


def _configure(**options) -> None:
    context.configure(
        target_metadata=Base.metadata,
        version_table=VERSION_TABLE,
        include_name=include_name,
        compare_type=True,
        **options,
    )


def run_offline() -> None:
    """Emit SQL for ``url`` instead of running it (``alembic upgrade --sql``)."""
    _configure(url=context.config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run on the connection handed over by the caller, else on ``sqlalchemy.url``."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = get_engine(context.config.get_main_option("sqlalchemy.url"))
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()


def _run(connection) -> None:
    # SQLite cannot ALTER most things: batch mode rebuilds the table instead
    _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
