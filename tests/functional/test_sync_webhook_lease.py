"""A webhook's queued read waits for the iD's writer (issue 13: one writer per iD, always).

ORCID calls the webhook after every change to a record, the site's own writes included, so
deliveries arrive while a worker thread is still sending that researcher's works. Another
thread's chores must not read the record meanwhile: its read would overlap the writer's
requests, and works whose put codes were stored after the read could look deleted on ORCID
(their put codes dropped, and the next push would post them a second time).
"""

from __future__ import annotations

import threading
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import select
from webtest import TestApp

from orcid_pyramid.cli import main
from orcid_pyramid.models import OrcidLink, OrcidPendingRevocation
from orcid_pyramid.models.meta import utcnow
from orcid_pyramid.models.sync import OrcidItem, OrcidPullCursor, OrcidSyncLock
from orcid_pyramid.models.tasks import TASK_PULL, OrcidTask
from orcid_pyramid.sync.deferred import queue_task
from orcid_pyramid.sync.webhook import webhook_token
from orcid_pyramid.sync.worker import Worker

from .sync_support import build_world, site_ini, wait_until, work
from .test_sync_one_writer import _api_calls_by_orcid, _overlaps
from .test_sync_webhook import SECRET, make_app

WORKS = 250  # three bulk POSTs


def _claimed(world, user_id: str) -> bool:
    """True once a worker holds the researcher's lease (it is sending their works)."""
    with world.session() as db:
        lock = db.get(OrcidSyncLock, user_id)
        return lock is not None and lock.locked_by is not None


def test_a_queued_read_never_overlaps_the_writer_of_its_id(emulator_factory, pg_url):
    emulator = emulator_factory(latency_ms=200)
    world = build_world(emulator, pg_url)
    events: list = []
    app = make_app(world, events)
    orcid = world.connect("u1")
    world.put_many("u1", {f"w{i}": work(i) for i in range(WORKS)})

    writer = Worker.from_registry(app.registry)
    sending = threading.Thread(target=writer.run_once)
    sending.start()
    wait_until(lambda: _claimed(world, "u1"), "the first thread to claim the researcher")
    # ORCID tells the site the record changed (as it does after the first bulk)
    TestApp(app).post(f"/orcid/webhook/{webhook_token(SECRET, orcid)}", status=204)
    reader = Worker.from_registry(app.registry)
    # its run is done when nothing is pending: the read waiting for the writer included
    chores = threading.Thread(target=reader.run_once)
    chores.start()
    sending.join()
    chores.join()

    calls = _api_calls_by_orcid(emulator)[orcid]
    assert [c for c in calls if c["method"] == "GET"], "the queued read never happened"
    assert _overlaps(calls) == [], "the read overlapped the writer's requests"
    with world.session() as db:
        items = db.execute(select(OrcidItem).where(OrcidItem.user_id == "u1")).scalars().all()
        assert db.execute(select(OrcidTask)).scalars().all() == []
        assert db.get(OrcidPullCursor, orcid) is not None
    assert sorted({i.status for i in items}) == ["synced"]
    assert all(i.put_code is not None for i in items)
    assert events == []  # nothing "deleted on ORCID"
    assert len(world.record_items(orcid)) == WORKS


def test_sync_pull_waits_for_the_writer_of_each_record(emulator_factory, pg_url, tmp_path):
    """``orcid-pyramid sync --pull`` while a worker pushes a researcher's works: the command
    reads that record once the writer is done, never in the middle of its requests."""

    emulator = emulator_factory(latency_ms=200)
    world = build_world(emulator, pg_url)
    orcid = world.connect("u1")
    world.put_many("u1", {f"w{i}": work(i) for i in range(WORKS)})

    sending = threading.Thread(target=world.worker().run_once)
    sending.start()
    wait_until(lambda: _claimed(world, "u1"), "the worker to claim the researcher")
    result = CliRunner().invoke(main, ["sync", site_ini(tmp_path, world), "--once", "--pull"])
    sending.join()
    assert result.exit_code == 0, result.output

    calls = _api_calls_by_orcid(emulator)[orcid]
    assert [c for c in calls if c["method"] == "GET"], "the pull never read the record"
    assert _overlaps(calls) == [], "the pull overlapped the writer's requests"
    with world.session() as db:
        items = db.execute(select(OrcidItem).where(OrcidItem.user_id == "u1")).scalars().all()
    assert sorted({i.status for i in items}) == ["synced"]
    assert all(i.put_code is not None for i in items)


def test_a_queued_read_stays_pending_when_its_thread_wakes_before_its_retry(
        emulator_factory, pg_url):
    """A thread whose queued read waits for a writer is not done until it has read the record,
    however early another thread wakes it.

    Found by CI under load: the read was put off for a second (the writer held the researcher),
    the writer finished and woke the idle threads before that second was up, and the thread
    that had put the read off forgot it (its chores found nothing due yet) and returned with
    the record never read. Here a queued revocation ahead of the read takes the emulator's
    second, so that the thread's chores began well before the read was put off, and another
    thread of the process finds nothing to do and wakes the idle ones half a second before
    the retry (fails on the code before: no GET)."""

    emulator = emulator_factory()
    world = build_world(emulator, pg_url)
    app = make_app(world, [])
    orcid = world.connect("u1")
    gone = world.connect("u2")
    with world.session() as db:  # u2 disconnected while ORCID was down: a queued revocation
        link = db.execute(select(OrcidLink).where(OrcidLink.user_id == "u2")).scalar_one()
        db.add(OrcidPendingRevocation(token_enc=link.access_token_enc, orcid=gone,
                                      user_id="u2"))
        db.delete(link)
        db.commit()
    emulator.control.set_latency(1000)

    # another process's writer holds the researcher
    holder = world.session()
    lease = Worker.from_registry(app.registry).claimer.claim_user(holder, "u1")
    assert lease is not None
    TestApp(app).post(f"/orcid/webhook/{webhook_token(SECRET, orcid)}", status=204)
    reader = threading.Thread(target=Worker.from_registry(app.registry).run_once)
    reader.start()

    def put_off() -> timedelta | None:  # the read waits for the writer: due again shortly
        with world.session() as db:
            task = db.execute(select(OrcidTask)).scalar_one()
            due = task.due_at if task.due_at.tzinfo else task.due_at.replace(
                tzinfo=utcnow().tzinfo)
            left = due - utcnow()
            return left if timedelta(0) < left < timedelta(minutes=1) else None

    wait_until(lambda: put_off() is not None, "the read to be put off for the writer")
    lease.release()
    holder.close()
    left = put_off()
    assert left is not None
    threading.Event().wait(max(left.total_seconds() - 0.5, 0))
    # a thread of the process with nothing to do wakes the idle ones, as a writer that is done
    Worker.from_registry(app.registry).run_once()
    reader.join(30)
    assert not reader.is_alive()

    calls = _api_calls_by_orcid(emulator).get(orcid, [])
    assert [c for c in calls if c["method"] == "GET"], "the queued read never happened"
    with world.session() as db:
        assert db.execute(select(OrcidTask)).scalars().all() == []
        assert db.get(OrcidPullCursor, orcid) is not None


def test_sync_once_makes_a_read_it_put_off_for_another_machine(emulator_factory, pg_url,
                                                               tmp_path):
    """``orcid-pyramid sync --once`` with researchers to send for and a queued read of a record
    another machine's worker is writing: whichever of its threads does the chores puts the
    read off, and the command does not end before that read is made (once the other
    machine's lease lapses), even when the thread was one that ends when nobody is left to
    take."""

    emulator = emulator_factory()
    world = build_world(emulator, pg_url)
    # a thread per researcher; the one that stays until nothing is pending takes the first
    # (queued first), whose three bulks keep it busy after the others: the chores fall to a
    # thread that ends once nobody is left to take
    world.connect("u0")
    world.put_many("u0", {f"w{i}": work(i) for i in range(WORKS)})
    for n in range(1, 20):
        world.connect(f"u{n}")
        world.put(f"u{n}", "w1", work(1000 + n))
    held = world.connect("held")
    with world.session() as db:
        db.add(OrcidSyncLock(user_id="held", locked_by="other-machine:1:abc#1",
                             locked_until=utcnow() + timedelta(seconds=3)))
        queue_task(db, TASK_PULL, held)
        db.commit()
    result = CliRunner().invoke(main, ["sync", site_ini(tmp_path, world), "--once"])
    assert result.exit_code == 0, result.output

    calls = _api_calls_by_orcid(emulator).get(held, [])
    assert [c for c in calls if c["method"] == "GET"], "the queued read never happened"
    with world.session() as db:
        assert db.execute(select(OrcidTask)).scalars().all() == []
