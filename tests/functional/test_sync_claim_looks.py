"""``orcid-pyramid sync --once`` finds the researchers with due work once for many claims of
its threads (lease.CandidatePool), not once per claim: that look reads every due row, and
with 100 researchers x 100 works its 222 repetitions took 3.3 s of PostgreSQL's CPU, more
than the worker's own."""

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


@pytest.fixture
def looks():
    """The statements that look for researchers with due rows, from every engine."""
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if "max(orcid_sync_locks.user_id)" in statement:
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", before)
    yield seen
    event.remove(Engine, "before_cursor_execute", before)


def test_one_look_serves_many_claims(world, tmp_path, looks):
    orcids = [world.connect(f"u{n}") for n in range(RESEARCHERS)]
    for n in range(RESEARCHERS):
        world.put_many(f"u{n}", {f"w{k}": work(n * 100 + k) for k in range(3)})
    result = CliRunner().invoke(main, ["sync", site_ini(tmp_path, world), "--once"])
    assert result.exit_code == 0, result.output
    assert all(len(world.record_items(orcid)) == 3 for orcid in orcids)
    # one look hands out up to 64 researchers; the rest are the idle threads' looks at the
    # end (one per 20 ms at most, whichever thread makes it), not one per researcher
    assert len(looks) < RESEARCHERS / 2, len(looks)  # one per claim before: over 40
