"""``orcid-pyramid sync --once`` finds the researchers with due work once for many claims of
its threads (lease.CandidatePool), not once per claim: with 100 researchers x 100 works its
222 repetitions took 3.3 s of PostgreSQL's CPU, more than the worker's own, when each read
every due row; and a look reads the due rows in due order, only as far as it needs."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import event
from sqlalchemy.engine import Engine

from orcid_pyramid.cli import main

from .sync_support import build_world, site_ini, work

RESEARCHERS = 40


@pytest.fixture
def world(emulator, fresh_db_url):
    return build_world(emulator, fresh_db_url)


def _statements(matches):
    """The statements ``matches`` picks, from every engine, while the fixture lives."""
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if matches(statement):
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", before)
    yield seen
    event.remove(Engine, "before_cursor_execute", before)


@pytest.fixture
def looks():
    """The statements that look for researchers with due rows."""
    yield from _statements(lambda statement: "max(orcid_sync_locks.user_id)" in statement)


@pytest.fixture
def next_due_asks():
    """The statements that ask when the outbox's next row falls due (a thread with nobody to
    take, before it waits)."""
    yield from _statements(lambda statement: statement.startswith(
        "SELECT orcid_outbox.next_attempt_at \nFROM orcid_outbox"))


def _first_push(world, tmp_path) -> None:
    """``sync --once`` for RESEARCHERS researchers of three new works each: all sent."""
    orcids = [world.connect(f"u{n}") for n in range(RESEARCHERS)]
    for n in range(RESEARCHERS):
        world.put_many(f"u{n}", {f"w{k}": work(n * 100 + k) for k in range(3)})
    result = CliRunner().invoke(main, ["sync", site_ini(tmp_path, world), "--once"])
    assert result.exit_code == 0, result.output
    assert all(len(world.record_items(orcid)) == 3 for orcid in orcids)


def test_one_look_serves_many_claims(world, tmp_path, looks):
    _first_push(world, tmp_path)
    # one look hands out up to 64 researchers; the rest are the idle threads' looks at the
    # end (one per 20 ms at most, whichever thread makes it), not one per researcher
    assert len(looks) < RESEARCHERS / 2, len(looks)  # one per claim before: over 40


def test_the_threads_of_a_push_end_with_their_researchers(world, tmp_path, next_due_asks):
    """``sync --once`` starts a thread per researcher; once a thread's researcher is sent and
    nobody is left to take, it ends. One thread stays until nothing is pending (retries
    included), and ``sync`` starts more, once a second, for researchers whose rows fall due
    meanwhile. Fails on the code before: every thread stayed, looked for work and asked when
    the next row fell due while the last researchers' bulks were being made (52-60 asks for
    these 40 researchers, 2 now)."""
    _first_push(world, tmp_path)
    assert len(next_due_asks) <= RESEARCHERS / 8, len(next_due_asks)


def test_a_look_passes_over_the_rows_of_researchers_others_hold(world):
    """A look reads the due rows in due order, a window of them first (``LOOK_ROWS``), not
    every due row: here the first window holds only the rows of a researcher another
    machine's worker is sending for (more rows than the window), and the look widens until
    it meets the researchers nobody holds."""
    from datetime import timedelta

    from orcid_pyramid.models.meta import utcnow
    from orcid_pyramid.models.sync import OrcidSyncLock
    from orcid_pyramid.sync.lease import LOOK_ROWS

    big = world.connect("big")
    world.put_many("big", {f"w{k}": work(k) for k in range(LOOK_ROWS + 100)})
    with world.session() as db:  # another machine holds "big" for the next hour
        db.add(OrcidSyncLock(user_id="big", locked_by="elsewhere:1:abc#1",
                             locked_until=utcnow() + timedelta(hours=1)))
        db.commit()
    others = [world.connect(f"u{n}") for n in range(3)]
    for n in range(3):  # queued after: their rows come after every row of "big"
        world.put_many(f"u{n}", {f"w{k}": work(100_000 + n * 10 + k) for k in range(2)})
    counts = world.worker().run_once(until_idle=True)
    assert counts.posted == 6
    assert [len(world.record_items(orcid)) for orcid in others] == [2, 2, 2]
    assert world.record_items(big) == []
