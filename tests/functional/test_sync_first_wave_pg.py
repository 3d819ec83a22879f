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
from sqlalchemy import event, select, update
from sqlalchemy.engine import Engine

from orcid_pyramid.cli import main
from orcid_pyramid.models.meta import utcnow
from orcid_pyramid.models.sync import STATUS_PENDING, OrcidItem, OrcidOutbox, OrcidSyncLock

from .sync_support import assert_each_work_once_and_synced, build_world, site_ini, work

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


def test_a_bulk_a_killed_worker_left_unrecorded_is_reconciled_not_posted_again(
        world, tmp_path, emulator, statements):
    """The state a worker killed while its bulk's answer was on its way leaves: ORCID holds
    the works, no put code was written, the lease row names them and its lease has lapsed.
    The next run takes that researcher among those due at its start (the claim of them all
    finds the marker): it reads the record and adopts the works, and posts nothing again."""
    orcid = world.connect("u1")
    world.put_many("u1", {f"w{n}": work(n) for n in range(3)})
    _sync(world, tmp_path)  # ORCID now holds the three works
    with world.session() as db:  # ... and the answer is lost, as if the worker had died
        ids = db.execute(select(OrcidItem.id)).scalars().all()
        db.execute(update(OrcidItem).values(put_code=None, status=STATUS_PENDING,
                                            content_hash=None))
        db.execute(update(OrcidOutbox).values(done_at=None))
        db.execute(update(OrcidSyncLock).values(
            locked_by="gone:1:abc#1", locked_until=utcnow() - timedelta(seconds=1),
            posting=",".join(str(i) for i in ids)))
        db.commit()
    start = len(emulator.control.calls())
    statements.clear()
    _sync(world, tmp_path)
    calls = [c for c in emulator.control.calls()[start:] if c["host"] == "api"]
    assert [c["method"] for c in calls if c["method"] in ("POST", "PUT")] == []
    assert any(c["method"] == "GET" and c["path"].endswith("/works") for c in calls)
    assert_each_work_once_and_synced(world, orcid, 3)
    assert len([s for s in statements
                if s.startswith("UPDATE orcid_sync_locks AS l SET locked_by")]) == 1
