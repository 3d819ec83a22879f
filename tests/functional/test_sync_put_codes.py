"""A client that hands back no usable put code after a POST: the worker must not crash.

The project's client never does this (a 201 without a put code in ``Location`` or a bulk entry
without one is already its ``OrcidMalformedResponse``), and the emulator's faults cannot make
it do so. A non-conforming client can: below, a real ``OrcidClient`` whose member API really
POSTs to the emulator, then replaces put codes in what it returns. The items were created on
ORCID, so nothing may be lost and nothing posted twice.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from orcid_pyramid.client import Endpoints, MemberApi, OrcidClient
from orcid_pyramid.models.meta import utcnow
from orcid_pyramid.models.sync import OrcidItem, OrcidOutbox

from .sync_support import CLIENT_ID, CLIENT_SECRET, build_world, employment, work


class PutCodeLosingApi(MemberApi):
    """The real member API; ``answer(kind, items, results)`` rewrites what creates return."""

    answer = None

    def create(self, kind, item):
        return self.answer(kind, [item], [super().create(kind, item)])[0]

    def create_works(self, items):
        return self.answer("work", items, super().create_works(items))


class PutCodeLosingClient(OrcidClient):
    """A real client whose ``member()`` hands out :class:`PutCodeLosingApi`."""

    def __init__(self, *args, answer, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.answer = answer

    def member(self, access_token, orcid, *, log_context=None):
        real = super().member(access_token, orcid, log_context=log_context)
        api = PutCodeLosingApi(self.transport, self.endpoints, access_token, real.orcid,
                               real.log_context, owner=self)
        api.answer = self.answer
        return api


def _factory(world, answer):
    endpoints = Endpoints(world.settings.base_url, world.settings.api_url)

    def factory(call_sink, rate_limiter):
        return PutCodeLosingClient(endpoints, CLIENT_ID, CLIENT_SECRET, call_sink=call_sink,
                                   rate_limiter=rate_limiter, answer=answer)

    return factory


def _title(item) -> str | None:
    return ((item.get("title") or {}).get("title") or {}).get("value")


def _one_pass(world, factory):
    """One claim of every due user, then stop (retries are not waited for)."""
    stop = threading.Event()
    worker = world.worker(client_factory=factory, backoff_base=600, batch_users=8)
    return worker.run_once(progress=lambda counts: stop.set(), stop=stop)


def _time_passes(world) -> None:
    """The retry delay is over: every pending row is due now."""
    with world.session() as db:
        db.execute(update(OrcidOutbox).where(OrcidOutbox.done_at.is_(None))
                   .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        db.commit()


def _items(world, user_id) -> dict[str, OrcidItem]:
    with world.session() as db:
        found = db.execute(select(OrcidItem).where(OrcidItem.user_id == user_id)).scalars()
        return {item.local_key: item for item in found}


def _pending(world) -> list[OrcidOutbox]:
    with world.session() as db:
        return db.execute(select(OrcidOutbox).where(OrcidOutbox.done_at.is_(None))
                          .order_by(OrcidOutbox.local_key)).scalars().all()


@pytest.fixture
def world(emulator, fresh_db_url):
    return build_world(emulator, fresh_db_url)


def test_no_or_a_non_integer_put_code_is_retried_then_adopted_never_lost_or_posted_twice(
        world):
    lost = {"Work number 2": None, "Work number 3": "12abc"}

    def answer(kind, items, results):
        if kind == "employment":
            return [None]
        return [lost.get(_title(i), result) for i, result in zip(items, results, strict=True)]

    factory = _factory(world, answer)
    orcid = world.connect("u1")
    other = world.connect("u2")
    world.put_many("u1", {"w1": work(1), "w2": work(2), "w3": work(3), "e1": employment()})
    world.put("u2", "w10", work(10))

    counts = _one_pass(world, factory)  # no crash: every row has an outcome

    assert counts.posted == 2 and counts.retried == 3 and counts.rejected == 0
    items = _items(world, "u1")
    assert items["w1"].status == "synced" and items["w1"].put_code is not None
    for key in ("w2", "w3", "e1"):
        assert items[key].status == "retrying"
        assert items[key].last_error == "OrcidMalformedResponse"
        assert items[key].put_code is None and items[key].post_in_flight
    assert [(r.local_key, r.attempts) for r in _pending(world)] == [("e1", 1), ("w2", 1),
                                                                     ("w3", 1)]
    assert _items(world, "u2")["w10"].status == "synced"  # the worker went on with u2
    # ORCID did create them: the put codes, not the items, were lost
    assert len(world.record_items(orcid)) == 3
    assert len(world.record_items(orcid, "employments")) == 1
    assert len(world.record_items(other)) == 1

    _time_passes(world)
    counts = world.drain(client_factory=factory)

    assert counts.adopted == 3 and counts.posted == 0 and counts.retried == 0
    assert _pending(world) == []
    works = {w["put-code"] for w in world.record_items(orcid)}
    jobs = {e["put-code"] for e in world.record_items(orcid, "employments")}
    assert len(works) == 3 and len(jobs) == 1  # nothing posted twice
    items = _items(world, "u1")
    assert {items[k].put_code for k in ("w1", "w2", "w3")} == works
    assert {items["e1"].put_code} == jobs
    assert {item.status for item in items.values()} == {"synced"}


def test_a_bulk_answer_without_one_result_per_work_is_retried_for_the_whole_batch(world):
    factory = _factory(world, lambda kind, items, results: results[:-1])
    orcid = world.connect("u1")
    world.put_many("u1", {"w1": work(1), "w2": work(2)})

    counts = _one_pass(world, factory)

    assert counts.retried == 2 and counts.posted == 0
    assert {item.status for item in _items(world, "u1").values()} == {"retrying"}
    assert len(world.record_items(orcid)) == 2

    _time_passes(world)
    counts = world.drain(client_factory=factory)

    assert counts.adopted == 2 and counts.posted == 0
    works = {w["put-code"] for w in world.record_items(orcid)}
    assert len(works) == 2
    assert {item.put_code for item in _items(world, "u1").values()} == works
