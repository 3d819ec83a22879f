"""A researcher's first push fences its lease once per run of bulks, not once per bulk (issue 13).

The fence before a bulk names every work of the run (the bulks up to the next write of put
codes) and commits that durably; the bulks after it in the run have nothing new to make
durable, so while the lease is young they ask the database nothing (at 100 ms a call the
fence was a sixth of the time between two bulks of one researcher). These tests run the
worker's loop against the emulator and show: the round trips that go, the call-log rows
that still all commit, a takeover still seen once the lease is no longer young, and a worker
killed after the first bulk of a run losing and duplicating nothing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import event, select

from orcid_pyramid.models.calllog import OrcidCall
from orcid_pyramid.models.sync import OrcidSyncLock

from .sync_support import (
    assert_each_work_once_and_synced,
    build_world,
    site_ini,
    take_over,
    wait_until,
    work,
)

WORKS = 500  # five bulks: one run (RECORD_EVERY)


def _work_posts(emulator, start: int) -> list[dict]:
    return [c for c in emulator.control.calls()[start:]
            if c["method"] == "POST" and c["path"].endswith("/works")]


def test_a_first_push_fences_its_lease_once_for_a_run_of_bulks(emulator_factory,
                                                               fresh_db_url):
    emulator = emulator_factory(rate_limit="none")
    world = build_world(emulator, fresh_db_url)
    world.connect("u1")
    world.put_many("u1", {f"w{n}": work(n) for n in range(WORKS)})
    fences = []

    @event.listens_for(world.engine, "before_cursor_execute")
    def _seen(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE ORCID_SYNC_LOCKS SET LOCKED_UNTIL"):
            fences.append(statement)

    start = len(emulator.control.calls())
    counts = world.drain()
    event.remove(world.engine, "before_cursor_execute", _seen)

    assert counts.posted == WORKS
    assert len(_work_posts(emulator, start)) == 5
    # before: one fence a bulk (5); the claim and the giving back write locked_by first
    assert len(fences) == 1, fences
    with world.session() as db:
        logged = db.execute(select(OrcidCall.method, OrcidCall.status)
                            .where(OrcidCall.url.like("%/works"))).all()
    # every bulk's call-log row committed (they wait for the run's end, not for a fence)
    assert Counter(logged) == Counter({("POST", 200): 5})


def test_a_takeover_is_seen_before_the_next_bulk_once_the_lease_is_not_young(
        emulator_factory, fresh_db_url):
    """With a lease of 0.3 s, a third of it (0.1 s) has passed by the time a bulk of 0.2 s
    is answered: every bulk is fenced, and a takeover stops the writer. (Without the age
    check the writer sent every bulk of its run after the takeover.) The bulks it sent are
    all in the call log: the rollback of what was half-done for the user keeps the call-log
    rows (it dropped them before)."""
    emulator = emulator_factory(rate_limit="none")
    world = build_world(emulator, fresh_db_url)
    orcid = world.connect("u1")
    world.put_many("u1", {f"w{n}": work(n) for n in range(WORKS)})
    emulator.control.set_latency(200)
    start = len(emulator.control.calls())
    worker = world.worker(lease_seconds=0.3)
    stop, user_done = threading.Event(), threading.Event()
    thread = threading.Thread(target=worker.run_once, kwargs={
        "deadline": time.monotonic() + 30, "stop": stop,
        "progress": lambda counts: user_done.set()})
    thread.start()
    wait_until(lambda: len(_work_posts(emulator, start)) >= 1, "the first bulk")
    taken_over = take_over(world, "u1")
    wait_until(user_done.is_set, "the worker to be done with the user")
    stop.set()
    thread.join()

    after = [c for c in _work_posts(emulator, start)
             if c["time"] >= taken_over and c["orcid"] == orcid]
    assert len(after) <= 1, "the old writer kept sending"  # at most the one it had fenced
    assert len(_work_posts(emulator, start)) <= 2
    with world.session() as db:
        logged = db.execute(select(OrcidCall.status).where(
            OrcidCall.method == "POST", OrcidCall.url.like("%/works"))).scalars().all()
    assert logged == [200] * len(_work_posts(emulator, start))


@pytest.mark.slow
@pytest.mark.subprocess
def test_a_worker_killed_after_the_first_bulk_of_a_run_loses_and_duplicates_nothing(
        emulator_factory, fresh_db_url, tmp_path):
    """The marker names all five bulks from the first fence on: the four never sent are
    flagged for the next run, which reads the record, adopts the first bulk and posts the
    rest once."""
    emulator = emulator_factory(rate_limit="none")
    world = build_world(emulator, fresh_db_url)
    orcid = world.connect("u1")
    world.put_many("u1", {f"w{n}": work(n) for n in range(WORKS)})
    emulator.control.set_latency(1500)
    ini = site_ini(tmp_path, world, "orcid.sync_lease = 2\norcid.timeout = 3")
    start = len(emulator.control.calls())
    command = [sys.executable, "-m", "orcid_pyramid", "sync", ini, "--once"]
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    victim = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        # ORCID stores a bulk when it arrives and answers 1.5 s later
        wait_until(lambda: len(world.record_items(orcid)) == 100,
                   "the first bulk to reach ORCID", timeout=60)
        with world.session() as db:
            marker = db.execute(select(OrcidSyncLock.posting)
                                .where(OrcidSyncLock.user_id == "u1")).scalar_one()
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
    finally:
        if victim.poll() is None:
            victim.kill()
    assert len(marker.split(",")) == WORKS
    emulator.control.set_latency(0)

    survivor = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert survivor.returncode == 0, survivor.stderr[-3000:]
    assert_each_work_once_and_synced(world, orcid, WORKS)
    # the first bulk was adopted, the four others posted once each, by bulk
    assert len(_work_posts(emulator, start)) == 5
