"""The worker's failure paths against the emulator's faults and its control API."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from orcid_pyramid.models import OrcidLink
from orcid_pyramid.models.meta import utcnow
from orcid_pyramid.models.sync import OrcidItem, OrcidOutbox, OrcidSyncLock
from orcid_pyramid.sync.builders import OrcidValidationError, Work
from orcid_pyramid.sync.service import SyncService
from orcid_pyramid.sync.webhook import release_held

from .sync_support import build_world, one_pass, wait_until, work


@pytest.fixture
def world(emulator, fresh_db_url):
    return build_world(emulator, fresh_db_url)


def _item(world, user_id, key):
    with world.session() as db:
        return db.execute(select(OrcidItem).where(OrcidItem.user_id == user_id,
                                                  OrcidItem.local_key == key)).scalar_one()


def _rows(world):
    with world.session() as db:
        return db.execute(select(OrcidOutbox).order_by(OrcidOutbox.id)).scalars().all()


def test_an_invalid_item_is_refused_to_the_host_before_anything_is_stored(world):
    world.connect("u1")
    with pytest.raises(OrcidValidationError):
        world.put("u1", "w1", Work(title="", type="journal-article"))
    assert _rows(world) == []


def test_server_errors_are_retried_with_backoff_until_they_succeed(world, emulator):
    orcid = world.connect("u1")
    world.put("u1", "w1", work(1))
    world.put("u1", "w2", work(2))
    emulator.control.set_faults(1.0, ["503"], seed=1)
    worker = world.worker(backoff_base=0.05)
    one_pass(worker)
    assert worker.counts.retried >= 1 and worker.counts.posted == 0
    assert _item(world, "u1", "w1").status == "retrying"
    emulator.control.set_faults(0.0)
    world.drain()
    assert len(world.record_items(orcid)) == 2
    assert {r.attempts >= 1 for r in _rows(world)} == {True}
    assert _item(world, "u1", "w1").status == "synced"


def test_a_revoked_token_holds_the_changes_until_the_user_connects_again(world, emulator):
    orcid = world.connect("u1")
    world.put("u1", "w1", work(1))
    world.drain()
    emulator.control.revoke(orcid, "APP-DEMOCLIENT000001")
    world.put("u1", "w1", work(1, title="Changed after revoke"))
    counts = world.drain()
    assert counts.held == 1
    with world.session() as db:
        link = db.execute(select(OrcidLink)).scalar_one()
        assert link.status == "revoked" and link.access_token_enc is None
    item = _item(world, "u1", "w1")
    assert item.status == "revoked"
    assert [r.next_attempt_at for r in _rows(world) if r.done_at is None] == [None]
    # the user connects again: a new token, the held change is released and sent
    with world.session() as db:
        db.delete(db.execute(select(OrcidLink)).scalar_one())
        db.commit()
    redirect = emulator.control.authorize(orcid, "APP-DEMOCLIENT000001",
                                          "/read-limited /activities/update",
                                          "https://site.example.org/orcid/callback")
    token = world.client().exchange_code(redirect.split("code=", 1)[1].split("&")[0])
    with world.session() as db:
        db.add(OrcidLink(user_id="u1", orcid=orcid, scope="/activities/update",
                         access_token_enc=world.cipher.encrypt(token.access_token)))
        release_held(db, "u1")
        db.commit()
    counts = world.drain()
    assert counts.updated == 1
    titles = [w["item"]["title"]["title"]["value"] for w in world.record_items(orcid)]
    assert titles == ["Changed after revoke"]


def test_a_token_revoked_before_a_first_push_holds_every_new_work(world, emulator):
    # every due row a new work: the first push's path, which reads only some columns of the
    # link; ORCID's 401 must still mark the link revoked and hold the works, none lost
    orcid = world.connect("u1")
    emulator.control.revoke(orcid, "APP-DEMOCLIENT000001")
    world.put_many("u1", {f"w{i}": work(i) for i in range(3)})
    counts = world.drain()
    assert counts.held == 3 and counts.posted == 0
    with world.session() as db:
        link = db.execute(select(OrcidLink)).scalar_one()
        assert link.status == "revoked" and link.access_token_enc is None
    assert {_item(world, "u1", f"w{i}").status for i in range(3)} == {"revoked"}
    assert [r.next_attempt_at for r in _rows(world) if r.done_at is None] == [None] * 3
    assert world.record_items(orcid) == []


def test_an_item_the_user_deleted_on_orcid_is_not_added_again_by_default(world, emulator):
    orcid = world.connect("u1")
    world.put("u1", "w1", work(1))
    world.drain()
    emulator.control.delete_item(orcid, "work", _item(world, "u1", "w1").put_code)
    world.put("u1", "w1", work(1, title="Edited locally"))
    counts = world.drain()
    assert counts.deleted_on_orcid == 1
    assert world.record_items(orcid) == []
    item = _item(world, "u1", "w1")
    assert item.status == "deleted_on_orcid" and item.put_code is None
    world.put("u1", "w1", work(1, title="Edited again"))
    world.drain()
    assert world.record_items(orcid) == []


def test_with_the_re_add_policy_a_deleted_item_is_posted_anew(emulator, fresh_db_url):
    world = build_world(emulator, fresh_db_url, **{"orcid.deleted_item_policy": "re-add"})
    orcid = world.connect("u1")
    world.put("u1", "w1", work(1))
    world.drain()
    old = _item(world, "u1", "w1").put_code
    emulator.control.delete_item(orcid, "work", old)
    world.put("u1", "w1", work(1, title="Back again"))
    world.drain()
    works = world.record_items(orcid)
    assert len(works) == 1 and works[0]["put-code"] != old
    assert _item(world, "u1", "w1").put_code == works[0]["put-code"]


def test_orcid_rejecting_an_item_marks_it_rejected_with_orcids_message(world, emulator):
    world.connect("u1")
    # a row queued by an older release with a body ORCID refuses (no title): 400, no retry
    bad = work(1).content_json()
    del bad["title"]
    with world.session() as db:
        SyncService(db, world.settings).put("u1", "w1", work(1))
        db.flush()
        row = db.execute(select(OrcidOutbox)).scalar_one()
        row.payload = bad
        db.commit()
    counts = world.drain()
    assert counts.rejected == 1 and counts.retried == 0
    item = _item(world, "u1", "w1")
    assert item.status == "rejected" and item.last_error
    assert _rows(world)[0].done_at is not None


def test_a_post_whose_answer_was_lost_is_reconciled_not_duplicated(world, emulator):
    orcid = world.connect("u1")
    world.put("u1", "e1", work(7))
    # ORCID stores the work, but answers after the client has given up
    emulator.control.set_latency(600)
    worker = world.worker(timeout=0.2, backoff_base=0.05)
    one_pass(worker)
    emulator.control.set_latency(0)
    # the emulator finishes the write it was given, whenever its delay ends
    wait_until(lambda: len(world.record_items(orcid)) == 1, "the delayed POST to land")
    assert _item(world, "u1", "e1").post_in_flight
    counts = world.drain()
    assert counts.adopted == 1 and counts.posted == 0
    works = world.record_items(orcid)
    assert len(works) == 1 and _item(world, "u1", "e1").put_code == works[0]["put-code"]


def _lease_lapsed(world, user_id: str) -> bool:
    """True once the user's writer lease is past its end, as the worker's claim judges it."""
    with world.session() as db:
        until = db.execute(select(OrcidSyncLock.locked_until)
                           .where(OrcidSyncLock.user_id == user_id)).scalar_one_or_none()
    return until is None or until < utcnow()


def test_a_worker_that_dies_holding_a_lease_loses_nothing(world, emulator):
    orcid = world.connect("u1")
    world.put("u1", "w1", work(1))
    # long enough to outlast the next claim on a loaded machine (0.3 s did not, once, in
    # CI's PostgreSQL run beside another test process on a 2-core machine)
    dead = world.worker(lease_seconds=3.0)
    with world.session() as db:
        assert dead.claim(db) == ["u1"]  # claimed, then never sent: the process died
    live = world.worker()
    with world.session() as db:
        assert live.claim(db) == []  # the lease still holds
    wait_until(lambda: _lease_lapsed(world, "u1"), "the dead worker's lease to lapse")
    counts = live.run_once()
    assert counts.posted == 1 and len(world.record_items(orcid)) == 1
