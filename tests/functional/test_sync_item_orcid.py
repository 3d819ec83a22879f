"""Every item is recorded against the linked iD: written when it is queued for a connected
user, by the worker for items queued before the user connected, whichever way they went (a
bulk POST, a bulk that failed, an item posted on its own)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from orcid_pyramid.models.sync import OrcidItem

from .sync_support import build_world, employment, one_pass, work


@pytest.fixture
def world(emulator, fresh_db_url):
    return build_world(emulator, fresh_db_url)


def _items(world) -> list[OrcidItem]:
    with world.session() as db:
        return list(db.execute(select(OrcidItem).order_by(OrcidItem.local_key)).scalars())


def test_sent_items_carry_the_linked_id(world):
    orcid = world.connect("u1")
    world.put_many("u1", {f"w{n}": work(n) for n in range(3)})
    world.put("u1", "job", employment())
    world.drain()
    items = _items(world)
    assert len(items) == 4
    assert all(item.orcid == orcid and item.put_code is not None for item in items), [
        (item.local_key, item.orcid, item.put_code) for item in items]


def test_works_of_a_failed_bulk_carry_the_linked_id(world, emulator):
    world.put_many("u1", {f"w{n}": work(n) for n in range(3)})  # before connecting: no iD
    orcid = world.connect("u1")
    emulator.control.set_faults(1.0, ["500"])
    one_pass(world.worker(backoff_base=60.0))
    items = _items(world)
    # (still flagged in flight: a 500 may have created them, the retry reconciles first)
    assert [(i.orcid, i.put_code) for i in items] == [(orcid, None)] * 3


def test_items_queued_after_connecting_carry_the_id_before_any_send(world):
    """Written when queued, the worker's updates of the row change no indexed column."""
    orcid = world.connect("u1")
    world.put_many("u1", {f"w{n}": work(n) for n in range(3)})
    world.put("u1", "job", employment())
    assert [item.orcid for item in _items(world)] == [orcid] * 4


def test_works_queued_before_the_user_connected_get_the_id_with_their_bulk(world):
    world.put_many("u1", {f"w{n}": work(n) for n in range(3)})
    world.put("u1", "job", employment())
    assert [item.orcid for item in _items(world)] == [None] * 4
    orcid = world.connect("u1")
    world.drain()
    items = _items(world)
    assert [(item.orcid, item.put_code is not None) for item in items] == [(orcid, True)] * 4
    assert len(world.record_items(orcid)) == 3
