"""A first import on a new install: the host's ``put_many`` keeps its per-item cost as the outbox
grows from empty (issue 13, costs that grow linearly).

psycopg prepares a statement on its fifth run on a connection; PostgreSQL then keeps a generic
plan once it costs no more than the custom ones. Chosen while the new outbox was nearly empty,
the generic plan of the per-key lookup read the whole table for each key and kept doing so as
it grew (``benchmarks/bench_first_import.py``: 0.45 ms per work at 2,500 rows, 3.2 ms at
20,000). The add-on's engine now plans each statement for its values. Checked here through
what PostgreSQL says of the connection's prepared statements after a host queued 40
researchers' works on it, not by timing.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from orcid_pyramid.models import Base, get_engine
from orcid_pyramid.sync.service import SyncService

from .sync_support import work


def test_queueing_on_a_new_install_plans_each_lookup_by_key_for_its_values(pg_url):
    engine = get_engine(pg_url)
    Base.metadata.create_all(engine)
    engine.dispose()
    # the add-on's engine as a site's settings build it, one connection: every statement of
    # the import runs on it
    engine = get_engine({"orcid.sqlalchemy.url": pg_url, "orcid.sqlalchemy.pool_size": "1",
                         "orcid.sqlalchemy.max_overflow": "0"})
    sessions = sessionmaker(bind=engine)
    try:
        for user in range(40):
            with sessions() as db:
                SyncService(db).put_many(f"u{user}", {f"w{i}": work(user * 1000 + i)
                                                      for i in range(25)})
                db.commit()
        with engine.connect() as connection:
            prepared = connection.execute(text(
                "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements"
            )).all()
    finally:
        engine.dispose()
    runs = {statement: (generic, custom) for statement, generic, custom in prepared}
    assert runs, "psycopg prepared nothing: the check below would prove nothing"
    # the per-key lookups (rows.by_key: unnest of the wanted keys) are never prepared, so
    # never planned generically; before, the outbox's DELETE and the registry's lookup were,
    # with generic plans chosen on the nearly empty tables
    assert {s: r for s, r in runs.items() if "unnest" in s} == {}
