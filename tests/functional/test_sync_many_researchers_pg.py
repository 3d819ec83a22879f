"""A first push of many researchers reads each outbox row a few times, not once per researcher,
even before PostgreSQL has any statistics of the tables (the host queued the works moments
ago; autovacuum analyses a table a minute or more later).

Without statistics PostgreSQL takes "not finished yet" (``done_at IS NULL``) for a rare
condition. It then read each researcher's due rows, and the content of the works of each bulk,
through the index of every unfinished row, keeping those of the researcher or of the bulk;
and it wrote each bulk's outcome (put codes, finished rows) by a scan of the whole table.
Every researcher's first push cost a read of the whole outbox, so the push's database time
grew with researchers x rows: 50 researchers x 100 works spent 5.3 ms of PostgreSQL's time
on a bulk's content where 0.2 ms do. Counted here with PostgreSQL's own counters of the rows
read from the outbox, through ``orcid-pyramid sync --once`` as a site runs it (one thread
per researcher, the command's default).
"""

from __future__ import annotations

import secrets

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from orcid_pyramid.cli import main
from orcid_pyramid.sync.worker import Worker

from .sync_support import build_world, site_ini, work
from .test_sync_first_read_pg import rows_read

pytestmark = [pytest.mark.slow]

RESEARCHERS = 40
WORKS = 50


@pytest.fixture
def world(emulator, fresh_db_url):
    if not fresh_db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's planner and counters (ORCID_PYRAMID_TEST_DATABASE_URL)")
    world = build_world(emulator, fresh_db_url)
    # the tables as right after the host's import: autovacuum would analyse them within a
    # minute, at a moment of its own (a test reading the rows or the statistics then would
    # measure its work, not the worker's)
    with world.engine.begin() as conn:
        for table in ("orcid_outbox", "orcid_items"):
            conn.execute(text(f"ALTER TABLE {table} SET (autovacuum_enabled = off)"))
    return world


def test_first_push_of_many_researchers_reads_each_outbox_row_a_few_times(world, tmp_path):
    orcids = queue_import(world)
    rows = RESEARCHERS * WORKS
    observer = create_engine(world.engine.url)
    try:
        world.engine.dispose()  # the host's connections report their counters now
        before = rows_read(observer, "orcid_outbox")
        result = CliRunner().invoke(main, ["sync", site_ini(tmp_path, world), "--once"])
        assert result.exit_code == 0, result.output
        read = rows_read(observer, "orcid_outbox", before + rows) - before
    finally:
        observer.dispose()
    assert [len(world.record_items(orcid)) for orcid in orcids] == [WORKS] * RESEARCHERS
    # each row: the read of its researcher's due rows, of its content and the write of its
    # outcome (3 here), plus the looks for researchers with due rows, which read the due
    # rows in due order (here all of them), some 10 a push: 13-16 reads a row in all,
    # measured (17 when each look grouped every due row). Before, every
    # researcher's reads and writes went through every unfinished row: 150 reads a row
    # here, and growing with the number of researchers.
    assert rows <= read <= 40 * rows, read


def analysed(engine, table: str) -> bool:
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_stat_clear_snapshot()"))
        return conn.execute(text(
            "SELECT coalesce(last_analyze, last_autoanalyze) IS NOT NULL FROM pg_stat_user_tables"
            " WHERE relname = :t AND schemaname = current_schema()"), {"t": table}).scalar_one()


def test_a_running_worker_refreshes_the_statistics_after_a_large_import(world):
    """The same through a site's own worker loop (``Worker.run_once``, as ``run_forever``
    calls it): among its chores it analyses the tables the import made stale."""
    queue_import(world)
    assert not analysed(world.engine, "orcid_outbox")
    world.worker().run_once()
    assert analysed(world.engine, "orcid_outbox") and analysed(world.engine, "orcid_items")


def queue_import(world) -> list[str]:
    orcids = []
    for r in range(RESEARCHERS):
        orcids.append(world.connect(f"r{r}"))
        world.put_many(f"r{r}", {f"w{k}": work(r * 1000 + k) for k in range(WORKS)})
    return orcids


def test_a_table_another_session_holds_is_left_to_autovacuum_and_nothing_waits(world, caplog):
    """A running VACUUM (here: its lock, held by another session) keeps the outbox: the
    worker gives up its ANALYZE after the lock timeout, says so, and sends everything."""
    orcids = queue_import(world)
    holder = create_engine(world.engine.url)
    try:
        with holder.connect() as conn, conn.begin():
            conn.execute(text("LOCK TABLE orcid_outbox IN SHARE UPDATE EXCLUSIVE MODE"))
            with caplog.at_level("INFO", logger="orcid_pyramid.sync"):
                counts = world.worker().run_once()
            assert counts.posted == RESEARCHERS * WORKS
    finally:
        holder.dispose()
    assert [len(world.record_items(orcid)) for orcid in orcids] == [WORKS] * RESEARCHERS
    assert not analysed(world.engine, "orcid_outbox")
    assert analysed(world.engine, "orcid_items")
    assert "the statistics of orcid_outbox were not refreshed" in caplog.text


def test_a_role_that_does_not_own_the_tables_leaves_them_alone(world):
    """A worker whose database role may write the tables but does not own them (ANALYZE is
    the owner's) runs as before: the tables stay without statistics, everything is sent."""
    orcids = queue_import(world)
    role = f"orcid_worker_{secrets.token_hex(4)}"
    with world.engine.begin() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        conn.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"'))
        conn.execute(text(f'GRANT ALL ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"'))
        conn.execute(text(f'GRANT ALL ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{role}"'))
    engine = create_engine(world.engine.url.set(username=role))
    try:
        counts = Worker(engine, world.settings).run_once()
        assert counts.posted == RESEARCHERS * WORKS
    finally:
        engine.dispose()
        with world.engine.begin() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))
    assert [len(world.record_items(orcid)) for orcid in orcids] == [WORKS] * RESEARCHERS
    assert not analysed(world.engine, "orcid_outbox") and not analysed(world.engine, "orcid_items")
