"""A researcher's first push does not read their registry rows once per work, however many
works they have, even before PostgreSQL has any statistics of the tables (the host queued
the works moments ago; no ANALYZE has run).

The first push's read of the due rows used to join the outbox with the registry in one
statement. Without statistics PostgreSQL planned it as a nested loop that compared every due
row with every registry row of the user: 2.7 s of the database's CPU for one researcher with
5,000 works, before the first bulk could leave, and again at each claim of the user (from
some size on, PostgreSQL picks another plan: benchmarks/bench_sync_costs.py). Counted here
with PostgreSQL's own counters of the rows read from the registry table, through
``orcid-pyramid sync --once`` as a site runs it.
"""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from orcid_pyramid.cli import main

from .sync_support import build_world, site_ini, work

pytestmark = [pytest.mark.slow]

WORKS = 2000


@pytest.fixture
def world(emulator, fresh_db_url):
    if not fresh_db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's planner and counters (ORCID_PYRAMID_TEST_DATABASE_URL)")
    return build_world(emulator, fresh_db_url)


def rows_read(engine, table: str, at_least: int = 0) -> int:
    """Rows PostgreSQL read from ``table`` of the world's schema (scans and index fetches),
    once the counters of the sync's connections (closed when it ended) stop changing: at
    least ``at_least``, and the same in three reads 0.3 s apart (or after 60 s)."""
    query = text("SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) "
                 "FROM pg_stat_user_tables WHERE relname = :t AND schemaname = current_schema()")
    seen: list[int] = []
    for _ in range(200):  # a closed connection's backend reports its counters as it exits
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_stat_clear_snapshot()"))
            seen.append(conn.execute(query, {"t": table}).scalar_one())
        if len(seen) >= 3 and seen[-1] >= at_least and len(set(seen[-3:])) == 1:
            break
        time.sleep(0.3)
    return seen[-1]


def test_first_push_does_not_read_the_registry_once_per_work(world, tmp_path):
    orcid = world.connect("big")
    world.put_many("big", {f"w{k}": work(k) for k in range(WORKS)})
    observer = create_engine(world.engine.url)
    try:
        before = rows_read(observer, "orcid_items")
        result = CliRunner().invoke(main, ["sync", site_ini(tmp_path, world), "--once"])
        assert result.exit_code == 0, result.output
        world.engine.dispose()  # the world's own connections report their counters too
        read = rows_read(observer, "orcid_items", before + WORKS) - before
    finally:
        observer.dispose()
    assert len(world.record_items(orcid)) == WORKS
    # read once by the first read; then each bulk's update of its 100 registry rows, which
    # PostgreSQL plans as a scan of this small table (45,000 rows read here: the planner
    # takes the index once a table is large enough for that to cost less). The nested loop
    # read about WORKS / 2 rows per work: 2,000,000 here.
    assert WORKS <= read <= 40 * WORKS, read
