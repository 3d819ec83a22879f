"""The planner's statistics of the worker's tables, brought up to date after a large import
(PostgreSQL).

A host queues a first import (every researcher's works at once) and starts the worker: the
new rows have no statistics yet, and autovacuum analyses a table a minute or more later.
Without them PostgreSQL took "not finished yet" (``done_at IS NULL``) for a rare condition,
and read each researcher's due rows through the index of every unfinished row, keeping
those of the researcher: the whole outbox for each researcher, so a push's database time
grew with researchers x rows (40 researchers x 50 works: 150 outbox rows read per row
sent; 13-16 now: ``tests/functional/test_sync_many_researchers_pg.py``).

So the worker analyses its tables itself when they have changed much since their
statistics: before the threads of ``orcid-pyramid sync`` start, and every
``EVERY_SECONDS`` among a running worker's chores. One query of the catalog decides;
``ANALYZE`` reads a sample of at most 30,000 rows of a table (PostgreSQL's default
statistics target), some milliseconds here. Only tables the database role owns (or a
superuser) are analysed: for others PostgreSQL would only warn. ``ANALYZE`` waits for no lock
longer than ``LOCK_TIMEOUT`` (a running ``VACUUM`` holds the one it needs): it is skipped
then, and autovacuum does it later.

Stale means: never analysed nor vacuumed; or the table has more than doubled in pages
since; or more rows changed since the last analysis than a fifth of its rows plus 1,000
(autovacuum waits for a tenth plus 50, at its next round). Tables under ``MIN_PAGES`` pages
are left alone: reading them whole costs little.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger("orcid_pyramid.sync")

#: the tables the worker reads by researcher and by id
TABLES = ("orcid_outbox", "orcid_items")
#: seconds between two looks of a running worker (``deferred.run_chores``)
EVERY_SECONDS = 60.0
#: tables smaller than this (8 kB pages) are never analysed by the worker
MIN_PAGES = 16
LOCK_TIMEOUT = "200ms"

_STALE = text(
    "SELECT c.oid::regclass::text FROM pg_class c"
    " LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid"
    " WHERE c.oid = ANY(ARRAY[to_regclass(:outbox), to_regclass(:items)])"
    " AND pg_has_role(c.relowner, 'USAGE')"
    " AND pg_relation_size(c.oid) >= :min_pages * current_setting('block_size')::bigint"
    " AND (c.reltuples < 0"
    "      OR pg_relation_size(c.oid)"
    "         > (2 * c.relpages + 8) * current_setting('block_size')::bigint"
    "      OR coalesce(s.n_mod_since_analyze, 0) > 0.2 * greatest(c.reltuples, 0) + 1000)"
)


def refresh_statistics(engine) -> list[str]:
    """Analyse the worker's tables whose statistics are stale (PostgreSQL; elsewhere
    nothing). Returns the tables analysed. Never raises for the database: a failure is
    logged, the worker goes on with the statistics it has."""
    if engine.dialect.name != "postgresql":
        return []
    done: list[str] = []
    try:
        with engine.connect() as conn:
            stale = conn.execute(_STALE, {"outbox": TABLES[0], "items": TABLES[1],
                                          "min_pages": MIN_PAGES}).scalars().all()
            conn.rollback()
            for table in stale:
                started = time.perf_counter()
                try:
                    with conn.begin():
                        conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
                        conn.exec_driver_sql(f"ANALYZE {table}")
                except SQLAlchemyError as exc:
                    log.info("the statistics of %s were not refreshed (%s); autovacuum will",
                             table, type(getattr(exc, "orig", None) or exc).__name__)
                    continue
                done.append(table)
                log.info("refreshed the planner's statistics of %s (%.0f ms): it changed much "
                         "since the last", table, (time.perf_counter() - started) * 1000)
    except SQLAlchemyError as exc:
        log.warning("could not look at the statistics of the sync tables (%s)",
                    type(exc).__name__)
    return done
