"""``orcid-pyramid sync`` takes the researchers due at its start together (PostgreSQL): its main
thread claims them in one statement, reads their links, due rows, registry rows and content in
four more and fences their first bulks in one, with one durable commit, and each worker thread
starts with one of them (``Worker.take_first``). Each thread used to make its own claim, four
reads and a fence, one thread after the other on one interpreter, before its researcher's
first request could leave.

Seen through the command, as a site runs it: the statements it sends, the emulator's records
and call log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import event
from sqlalchemy.engine import Engine

from orcid_pyramid.cli import main
from orcid_pyramid.models.meta import utcnow
from orcid_pyramid.models.sync import OrcidSyncLock

from .sync_support import build_world, site_ini, work

RESEARCHERS = 40
#: seconds another machine holds a researcher: longer than the command's start-up here
HELD = 5


@pytest.fixture
def world(emulator, pg_url):
    return build_world(emulator, pg_url)


@pytest.fixture
def statements():
    """Every statement any engine sends while the fixture lives."""
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", before)
    yield seen
    event.remove(Engine, "before_cursor_execute", before)


def _sync(world, tmp_path) -> None:
    result = CliRunner().invoke(main, ["sync", site_ini(tmp_path, world), "--once"])
    assert result.exit_code == 0, result.output


def _dois(world, orcid) -> list[str]:
    return sorted(x["item"]["external-ids"]["external-id"][0]["external-id-value"]
                  for x in world.record_items(orcid))


def test_the_researchers_due_at_the_start_are_claimed_and_read_together(world, tmp_path,
                                                                        statements):
    """40 researchers with three new works each: one claim, one read of due rows and one fence
    for them all, none per researcher (40 claims, 40 reads of one researcher's due rows, 40
    of one link and 40 fences on the code before), and every work on ORCID once."""
    orcids = [world.connect(f"u{n}") for n in range(RESEARCHERS)]
    for n in range(RESEARCHERS):
        world.put_many(f"u{n}", {f"w{k}": work(n * 100 + k) for k in range(3)})
    statements.clear()  # the sync's own
    _sync(world, tmp_path)
    assert [len(_dois(world, orcid)) for orcid in orcids] == [3] * RESEARCHERS
    assert all(len(set(_dois(world, orcid))) == 3 for orcid in orcids)
    many_claims = [s for s in statements
                   if s.startswith("UPDATE orcid_sync_locks AS l SET locked_by")]
    one_claim = [s for s in statements
                 if s.startswith("UPDATE orcid_sync_locks SET locked_by = %(token)s")]
    own_rows = [s for s in statements if "FROM orcid_outbox \nWHERE orcid_outbox.user_id = %(" in s]
    own_link = [s for s in statements if "FROM orcid_links \nWHERE orcid_links.user_id = %(" in s]
    one_fence = [s for s in statements
                 if s.startswith("UPDATE orcid_sync_locks SET locked_until = %(until)s")]
    many_fences = [s for s in statements
                   if s.startswith("UPDATE orcid_sync_locks AS l SET locked_until")]
    assert (len(many_claims), len(many_fences)) == (1, 1), (len(many_claims), len(many_fences))
    assert (len(one_claim), len(own_rows), len(own_link), len(one_fence)) == (0, 0, 0, 0), \
        (len(one_claim), len(own_rows), len(own_link), len(one_fence))


def test_a_researcher_another_machine_holds_waits_for_it(world, tmp_path, emulator):
    """A researcher whose lease another machine holds is not among those taken at the start:
    their works go once that lease has lapsed, and the others' before them."""
    orcids = [world.connect(f"u{n}") for n in range(5)]
    for n in range(5):
        world.put_many(f"u{n}", {f"w{k}": work(n * 100 + k) for k in range(2)})
    until = utcnow() + timedelta(seconds=HELD)
    with world.session() as db:
        db.add(OrcidSyncLock(user_id="u0", locked_by="elsewhere:1:abc#1", locked_until=until))
        db.commit()
    start = len(emulator.control.calls())
    _sync(world, tmp_path)
    assert [len(_dois(world, orcid)) for orcid in orcids] == [2] * 5
    calls = emulator.control.calls()[start:]
    held = [c["time"] for c in calls if c["orcid"] == orcids[0]]
    others = [c["time"] for c in calls if c["orcid"] in orcids[1:]]
    assert held and min(held) >= until.timestamp(), (min(held), until.timestamp())
    assert max(others) < min(held)  # not held back by the one that waits
