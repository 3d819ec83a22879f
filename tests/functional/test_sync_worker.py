"""The worker against the emulator: POST, bulk POST, PUT by put code, DELETE, unchanged, 409."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from orcid_pyramid.models import OrcidCall
from orcid_pyramid.models.sync import OrcidItem, OrcidOutbox, OrcidSyncLock

from .sync_support import build_world, employment, wait_until, work


@pytest.fixture
def world(emulator, fresh_db_url):
    return build_world(emulator, fresh_db_url)


def _items(world, user_id):
    with world.session() as db:
        return {i.local_key: i for i in db.execute(
            select(OrcidItem).where(OrcidItem.user_id == user_id)).scalars()}


def test_new_works_are_posted_in_bulk_and_their_put_codes_stored(world, emulator):
    orcid = world.connect("u1")
    for n in range(3):
        world.put("u1", f"w{n}", work(n))
    before = len(emulator.control.calls())
    counts = world.drain()
    assert counts.posted == 3
    calls = [c for c in emulator.control.calls()[before:] if c["host"] == "api"]
    assert [(c["method"], c["path"].rsplit("/", 1)[-1]) for c in calls] == [("POST", "works")]
    items = _items(world, "u1")
    on_orcid = {w["put-code"] for w in world.record_items(orcid, "works")}
    assert {i.put_code for i in items.values()} == on_orcid
    assert all(i.status == "synced" for i in items.values())


def _api_calls(emulator, before):
    return [(c["method"], c["status"]) for c in emulator.control.calls()[before:]
            if c["host"] == "api"]


def test_a_changed_item_is_a_put_to_its_put_code_never_a_second_post(world, emulator):
    orcid = world.connect("u1")
    world.put("u1", "w1", work(1, title="First title"))
    world.drain()
    put_code = _items(world, "u1")["w1"].put_code
    world.put("u1", "w1", work(1, title="Second title"))
    before = len(emulator.control.calls())
    counts = world.drain()
    assert counts.updated == 1 and counts.posted == 0
    assert _api_calls(emulator, before) == [("PUT", 200)]
    works = world.record_items(orcid, "works")
    assert [w["put-code"] for w in works] == [put_code]
    assert works[0]["item"]["title"]["title"]["value"] == "Second title"


def test_an_edit_made_while_the_first_bulk_is_in_flight_follows_it(world, emulator):
    """The host edits a work while the worker's first bulk POST is on its way: the edit is a
    new row after the one being sent, and goes out as a PUT once the put code is known. The
    work is on ORCID once, with the edit."""
    orcid = world.connect("u1")
    world.put_many("u1", {f"w{n}": work(n) for n in range(5)})
    emulator.control.set_latency(800)
    sending = threading.Thread(target=world.worker().run_once)
    sending.start()
    try:
        def posting() -> bool:  # the bulk's fence names its works in the lease row
            with world.session() as db:
                return db.execute(select(OrcidSyncLock.posting).where(
                    OrcidSyncLock.user_id == "u1")).scalar_one_or_none() is not None

        wait_until(posting, "the worker to send its bulk")
        world.put("u1", "w2", work(2, title="Revised 2"))
    finally:
        sending.join(30)
        emulator.control.set_latency(0)
    world.drain()
    works = {w["item"]["title"]["title"]["value"]: w["put-code"]
             for w in world.record_items(orcid, "works")}
    assert sorted(works) == ["Revised 2"] + [f"Work number {n}" for n in (0, 1, 3, 4)]
    items = _items(world, "u1")
    assert items["w2"].put_code == works["Revised 2"] and items["w2"].status == "synced"
    calls = [(c["method"], c["path"].rsplit("/", 1)[-1]) for c in emulator.control.calls()
             if c["host"] == "api" and c["method"] != "GET"]
    assert calls == [("POST", "works"), ("PUT", str(works["Revised 2"]))]


def test_a_resync_with_nothing_changed_makes_no_call(world, emulator):
    world.connect("u1")
    world.put("u1", "w1", work(1))
    world.drain()
    world.put("u1", "w1", work(1))
    before = len(emulator.control.calls())
    counts = world.drain()
    assert counts.unchanged == 1
    assert _api_calls(emulator, before) == []


def test_removing_an_object_deletes_the_item_and_forgets_its_put_code(world, emulator):
    orcid = world.connect("u1")
    world.put("u1", "w1", work(1))
    world.put("u1", "e1", employment())
    world.drain()
    assert len(world.record_items(orcid, "employments")) == 1
    world.remove("u1", "e1", "employment")
    counts = world.drain()
    assert counts.deleted == 1
    assert world.record_items(orcid, "employments") == []
    assert len(world.record_items(orcid, "works")) == 1
    assert set(_items(world, "u1")) == {"w1"}


def test_an_employment_is_posted_singly_and_updated_by_put_code(world, emulator):
    orcid = world.connect("u1")
    world.put("u1", "e1", employment("Lecturer"))
    world.drain()
    world.put("u1", "e1", employment("Professor"))
    world.drain()
    items = world.record_items(orcid, "employments")
    assert len(items) == 1 and items[0]["item"]["role-title"] == "Professor"
    assert _items(world, "u1")["e1"].put_code == items[0]["put-code"]


def test_changes_coalesce_into_one_pending_row_per_object(world, emulator):
    world.connect("u1")
    for title in ("A", "B", "C"):
        world.put("u1", "w1", work(1, title=title))
    with world.session() as db:
        rows = db.execute(select(OrcidOutbox)).scalars().all()
    assert len(rows) == 1 and rows[0].payload["title"]["title"]["value"] == "C"


def test_the_host_rolling_back_leaves_nothing_to_send(world):
    from orcid_pyramid.sync.service import SyncService

    world.connect("u1")
    with world.session() as db:
        SyncService(db, world.settings).put("u1", "w1", work(1))
        db.rollback()
    with world.session() as db:
        assert db.execute(select(func.count()).select_from(OrcidOutbox)).scalar() == 0
        assert db.execute(select(func.count()).select_from(OrcidItem)).scalar() == 0


def test_a_duplicate_409_adopts_the_existing_put_code_then_puts(world, emulator):
    orcid = world.connect("u1")
    world.put("u1", "w1", work(1, title="Original"))
    world.drain()
    # the same DOI queued under a second local key: ORCID answers 409 with the put code
    world.put("u1", "w1-copy", work(1, title="Copy"))
    counts = world.drain()
    assert counts.adopted == 1 and counts.updated == 1
    works = world.record_items(orcid, "works")
    assert len(works) == 1 and works[0]["item"]["title"]["title"]["value"] == "Copy"
    assert _items(world, "u1")["w1-copy"].put_code == works[0]["put-code"]


def test_every_call_the_worker_makes_is_in_the_call_log(world, emulator):
    world.connect("u1")
    with world.session() as db:
        logged_before = db.execute(select(func.count()).select_from(OrcidCall)).scalar()
    before = len(emulator.control.calls())
    for n in range(3):
        world.put("u1", f"w{n}", work(n))
    world.put("u1", "e1", employment())
    world.drain()
    world.put("u1", "w0", work(0, title="changed"))
    world.drain()
    received = [c for c in emulator.control.calls()[before:] if c["host"] == "api"]
    with world.session() as db:
        logged = db.execute(select(OrcidCall).order_by(OrcidCall.id)).scalars().all()
    logged = logged[logged_before:]
    assert [(c.method, c.status) for c in logged] == [(c["method"], c["status"])
                                                       for c in received]
    assert all(c.user_id == "u1" for c in logged)


def test_the_demo_push_sends_the_users_works_and_an_employment(world, emulator):
    from orcid_pyramid.demo.push import enqueue_demo
    from orcid_pyramid.demo.works import works_for
    from orcid_pyramid.sync.service import SyncService

    orcid = world.connect("alice")
    with world.session() as db:
        queued = enqueue_demo(SyncService(db, world.settings), "alice", works_for("alice"))
        db.commit()
    counts = world.drain()
    assert counts.posted == queued == len(works_for("alice")) + 1
    assert len(world.record_items(orcid, "works")) == len(works_for("alice"))
    assert len(world.record_items(orcid, "employments")) == 1


def test_the_background_worker_sends_what_is_queued_until_stopped(world, emulator):
    import time

    from orcid_pyramid.demo.push import start_background_worker

    orcid = world.connect("u1")
    thread, stop = start_background_worker(world.engine, world.settings, poll=0.05)
    try:
        world.put("u1", "w1", work(1))
        for _ in range(400):
            if _items(world, "u1")["w1"].status == "synced":
                break
            time.sleep(0.05)
        assert len(world.record_items(orcid, "works")) == 1
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()


def test_the_worker_caps_logged_bodies_at_the_sites_body_limit(emulator, fresh_db_url):
    """The worker's client comes from the one client factory, so ``orcid.call_log_body_limit``
    reaches its call log too (it used to build its own client without it)."""
    world = build_world(emulator, fresh_db_url, **{"orcid.call_log_body_limit": "200"})
    world.connect("u1")
    world.put_many("u1", {f"w{n}": work(n, title="A long title " * 20) for n in range(3)})
    assert world.drain().posted == 3
    with world.session() as db:
        posts = db.execute(select(OrcidCall).where(OrcidCall.method == "POST",
                                                   OrcidCall.url.like("%/works"))).scalars()
        bodies = [call.request_body for call in posts]
    assert bodies and all(body is not None for body in bodies)
    assert all(body[:200] and body[200:].startswith("... [") for body in bodies), bodies
