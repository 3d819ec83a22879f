"""One writer per iD even when a user's batch outlives the lease (issue 13).

Several workers share one PostgreSQL outbox; ORCID is slow (emulator latency) and each
researcher has more updates than fit in one lease. A worker must renew the lease in the
database before each request and must stop sending once another worker took the user over,
so the emulator's call log never shows two requests for one iD in flight together.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from orcid_pyramid.models import OrcidLink
from orcid_pyramid.models.calllog import OrcidCall
from orcid_pyramid.models.link import STATUS_ACTIVE, STATUS_REVOKED
from orcid_pyramid.models.meta import utcnow
from orcid_pyramid.models.sync import OrcidSyncLock
from orcid_pyramid.sync.lease import Lease, LeaseLost

from .sync_support import build_world, take_over, wait_until, work
from .test_sync_one_writer import _api_calls_by_orcid, _overlaps

USERS = 6
WORKS = 20


def _drain(world, workers: int, **kwargs) -> list:
    made = [world.worker(**kwargs) for _ in range(workers)]
    threads = [threading.Thread(target=w.run_once) for w in made]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return made


def test_a_batch_that_outlives_its_lease_never_overlaps_another_writer(emulator_factory,
                                                                       pg_url):
    emulator = emulator_factory()
    world = build_world(emulator, pg_url)
    for u in range(USERS):
        world.connect(f"u{u}")
        world.put_many(f"u{u}", {f"w{n}": work(u * 100 + n) for n in range(WORKS)})
    _drain(world, 1)
    # every researcher now needs WORKS PUTs of 100 ms each: 2 s, twice the lease
    for u in range(USERS):
        world.put_many(f"u{u}", {f"w{n}": work(u * 100 + n, title=f"Revised {n}")
                                 for n in range(WORKS)})
    emulator.control.set_latency(100)
    start = len(emulator.control.calls())
    made = _drain(world, 4, lease_seconds=1.0)

    assert sum(w.counts.updated for w in made) == USERS * WORKS
    calls = [c for c in emulator.control.calls()[start:]
             if c["host"] == "api" and "/v3.0/" in c["path"]]
    puts = Counter(c["path"] for c in calls if c["method"] == "PUT")
    assert sorted(set(puts.values())) == [1], "a work was PUT more than once"
    by_orcid = _api_calls_by_orcid(emulator)
    overlapping = {orcid: _overlaps(calls) for orcid, calls in by_orcid.items()}
    assert {o: pairs for o, pairs in overlapping.items() if pairs} == {}


def test_a_writer_whose_lease_was_taken_over_sends_nothing_more(emulator_factory,
                                                                 fresh_db_url):
    emulator = emulator_factory()
    world = build_world(emulator, fresh_db_url)
    orcid = world.connect("u1")
    world.put_many("u1", {f"w{n}": work(n) for n in range(WORKS)})
    world.drain()
    world.put_many("u1", {f"w{n}": work(n, title=f"Revised {n}") for n in range(WORKS)})
    emulator.control.set_latency(100)
    start = len(emulator.control.calls())

    def puts() -> list[dict]:
        return [c for c in emulator.control.calls()[start:] if c["method"] == "PUT"]

    worker = world.worker()
    stop, user_done = threading.Event(), threading.Event()
    thread = threading.Thread(target=worker.run_once, kwargs={
        "deadline": time.monotonic() + 30, "stop": stop,
        "progress": lambda counts: user_done.set()})
    thread.start()
    wait_until(lambda: len(puts()) >= 3, "the worker to start sending")
    taken_over = take_over(world, "u1")  # as a claim does once a lease has lapsed
    wait_until(user_done.is_set, "the worker to be done with the user")
    stop.set()  # the rows left belong to the other writer now
    thread.join()

    after = [c for c in puts() if c["time"] >= taken_over and c["orcid"] == orcid]
    assert len(after) <= 1, "the old writer kept sending"  # at most the one it had fenced
    assert worker.counts.updated < WORKS
    with world.session() as db:
        lock = db.execute(select(OrcidSyncLock).where(OrcidSyncLock.user_id == "u1")).scalar_one()
    assert lock.locked_by == "another-worker#1"  # the old writer did not release it


def test_a_lost_lease_drops_what_was_written_for_the_user_but_not_its_call_records(
        emulator_factory, fresh_db_url):
    """The rollback of a lease another worker took over keeps the call-log rows waiting in
    the session, flushed or not (those requests were made): they commit with the giving
    back, and nothing else of the user's does (before, the rows went with the rollback)."""
    world = build_world(emulator_factory(rate_limit="none"), fresh_db_url)
    world.connect("u1")
    with world.session() as db:
        db.add(OrcidSyncLock(user_id="u1", locked_by="worker#1",
                             locked_until=utcnow() + timedelta(minutes=1)))
        db.commit()
    take_over(world, "u1")
    session = world.session()
    lease = Lease(session, "u1", "worker#1", seconds=60, in_flight=5)
    session.add(OrcidCall(method="POST", url="https://api.test/v3.0/x/works", status=200,
                          user_id="u1"))
    session.flush()  # in the transaction, as a query's autoflush would send it
    session.add(OrcidCall(method="GET", url="https://api.test/v3.0/x/works", status=200,
                          user_id="u1"))
    session.execute(update(OrcidLink).where(OrcidLink.user_id == "u1")
                    .values(status=STATUS_REVOKED))  # half-done work for the user
    session.add(OrcidCall(method="DELETE", url="https://api.test/v3.0/x/work/1", status=204,
                          user_id="u1"))  # not flushed
    with pytest.raises(LeaseLost):
        lease.fence()
    lease.release()
    session.close()

    with world.session() as db:
        assert sorted(db.execute(select(OrcidCall.method)).scalars()) == ["DELETE", "GET", "POST"]
        assert db.execute(select(OrcidLink.status)).scalar_one() == STATUS_ACTIVE
        assert db.execute(select(OrcidSyncLock.locked_by)).scalar_one() == "another-worker#1"
