"""Retries that keep work together (issue 13): a failed bulk comes back as one bulk, and a lost
bulk answer is reconciled by comparing content, so only what differs is sent again."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from orcid_pyramid.models.meta import utcnow
from orcid_pyramid.models.sync import OrcidOutbox

from .sync_support import build_world, one_pass, wait_until, work

WORKS = 60


@pytest.fixture
def world(emulator, fresh_db_url):
    return build_world(emulator, fresh_db_url)


def _api_calls(emulator, since: int) -> Counter:
    """(method, last path segment kind) of the member-API calls since index ``since``."""
    found = Counter()
    for call in emulator.control.calls()[since:]:
        if call["host"] == "api" and "/v3.0/" in call["path"]:
            tail = call["path"].rsplit("/v3.0/", 1)[1].split("/", 1)[1]
            found[(call["method"], "works" if tail == "works" else tail.split("/")[0])] += 1
    return found


def test_a_failed_bulk_is_retried_as_one_bulk(world, emulator):
    orcid = world.connect("u1")
    world.put_many("u1", {f"w{n}": work(n) for n in range(WORKS)})
    emulator.control.set_faults(1.0, ["500"])
    # the bulk fails; its retry is due 0.5-1 s later
    first = one_pass(world.worker(backoff_base=1.0))
    assert first.retried == WORKS and first.posted == 0
    # all due at one instant: a worker waking when the first falls due takes them all (they
    # fell due microseconds apart, and a worker woken in between sent the bulk in two)
    with world.session() as db:
        due = set(db.execute(select(OrcidOutbox.next_attempt_at)
                             .where(OrcidOutbox.done_at.is_(None))).scalars())
    assert len(due) == 1, sorted(due)[:3]
    emulator.control.set_faults(0)
    start = len(emulator.control.calls())

    counts = world.worker(backoff_base=1.0).run_once()

    assert counts.posted == WORKS
    # one read of the works (a POST in flight is reconciled first), one bulk POST
    assert _api_calls(emulator, start) == {("GET", "works"): 1, ("POST", "works"): 1}
    assert len(world.record_items(orcid)) == WORKS


def test_a_lost_bulk_answer_sends_again_only_what_differs_on_orcid(world, emulator):
    orcid = world.connect("u1")
    world.put_many("u1", {f"w{n}": work(n) for n in range(WORKS)})
    # ORCID stores the bulk but answers after the client has given up
    emulator.control.set_latency(600)
    before = len(emulator.control.calls())
    one_pass(world.worker(timeout=0.2, backoff_base=600))
    emulator.control.set_latency(0)
    # the emulator stores the bulk when it arrives and logs the call when it answers, after
    # its latency: the calls counted below start once that answer is logged
    wait_until(lambda: _api_calls(emulator, before)[("POST", "works")] == 1,
               "the delayed bulk to be answered")
    assert len(world.record_items(orcid)) == WORKS
    # meanwhile the researcher edits one of them on ORCID
    edited = world.record_items(orcid)[0]
    item = {**edited["item"], "title": {"title": {"value": "Edited on ORCID"}}}
    emulator.control.edit_item(orcid, "work", edited["put-code"], item=item)
    with world.session() as db:  # the retry is due now
        db.execute(update(OrcidOutbox).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        db.commit()
    start = len(emulator.control.calls())

    counts = world.drain()

    assert counts.adopted == WORKS and counts.posted == 0
    assert counts.updated == 1 and counts.unchanged == WORKS - 1
    calls = _api_calls(emulator, start)
    assert calls[("PUT", "work")] == 1 and calls[("POST", "works")] == 0
    titles = {w["item"]["title"]["title"]["value"] for w in world.record_items(orcid)}
    assert "Edited on ORCID" not in titles and len(world.record_items(orcid)) == WORKS
