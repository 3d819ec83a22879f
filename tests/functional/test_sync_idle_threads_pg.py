"""``orcid-pyramid sync --once``: a thread with no researcher left to take, while the process's
other threads still send for theirs, waits for them instead of asking the database every
half second when the next row falls due (in a first push of 50 researchers, the threads done
with their researcher asked 100 times while the others were still preparing their bulks).
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import event
from sqlalchemy.engine import Engine

from orcid_pyramid.cli import main

from .sync_support import build_world, site_ini, work

THREADS = 4
SLOW_MS = 1500  # each request; the long researcher's three bulks take 4.5 s


@pytest.fixture
def asks():
    """The statements that ask when the next row falls due, from every engine."""
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("SELECT min(orcid_outbox.next_attempt_at)"):
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", before)
    yield seen
    event.remove(Engine, "before_cursor_execute", before)


def test_idle_threads_wait_for_the_process_own_senders_without_polling(emulator_factory,
                                                                        pg_url, tmp_path,
                                                                        asks):
    emulator = emulator_factory()
    world = build_world(emulator, pg_url)
    long = world.connect("long")
    world.put_many("long", {f"w{k}": work(k) for k in range(250)})  # three bulks
    short = [world.connect(f"short{n}") for n in range(THREADS - 1)]
    for n in range(THREADS - 1):
        world.put_many(f"short{n}", {"w": work(1000 + n)})
    emulator.control.set_latency(SLOW_MS)

    result = CliRunner().invoke(main, ["sync", site_ini(tmp_path, world), "--once",
                                       "--workers", str(THREADS)])

    assert result.exit_code == 0, result.output
    assert len(world.record_items(long)) == 250
    assert all(len(world.record_items(orcid)) == 1 for orcid in short)
    # each thread asks when it runs out of researchers and once more when the last one is
    # done; the three idle for 3 s asked every 0.5 s before (6 times each)
    assert len(asks) <= 2 * THREADS, len(asks)
