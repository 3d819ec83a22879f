"""The call records of a first push's bulks (issue 13; DM-7: every call is logged).

A researcher's run of bulks holds its calls' records (redaction, the call-log row) until the
run's put codes are written, so that the interpreter goes from one bulk's answer straight to
the next bulk (``orcid_pyramid.client.calllog.held_records``). These tests run the worker's
loop against the emulator and show that the records still say what each call was and took,
and that none is lost (a takeover: ``test_sync_fence_runs.py``).
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from orcid_pyramid.models import OrcidLink
from orcid_pyramid.models.calllog import OrcidCall

from .sync_support import build_world, work

WORKS = 500  # five bulks: one run (RECORD_EVERY)


def _work_posts(emulator, start: int) -> list[dict]:
    return [c for c in emulator.control.calls()[start:]
            if c["method"] == "POST" and c["path"].endswith("/works")]


def test_a_run_of_bulks_is_recorded_after_its_last_bulk_each_call_as_it_was(
        emulator_factory, fresh_db_url, caplog):
    emulator = emulator_factory(rate_limit="none", latency_ms=40)
    world = build_world(emulator, fresh_db_url)
    orcid = world.connect("u1")
    world.put_many("u1", {f"w{n}": work(n) for n in range(WORKS)})
    caplog.set_level(logging.DEBUG, logger="orcid_pyramid.client")
    start = len(emulator.control.calls())

    counts = world.drain()

    posts = _work_posts(emulator, start)
    assert counts.posted == WORKS and len(posts) == 5
    # the client's line for each bulk comes when its record is made: after the last bulk
    # (before: each one between its answer and the next bulk)
    lines = [r for r in caplog.records
             if r.name == "orcid_pyramid.client" and "POST" in r.getMessage()
             and r.getMessage().split(" -> ")[0].endswith("/works")]
    assert len(lines) == 5
    assert min(r.created for r in lines) >= posts[-1]["time"]
    with world.session() as db:
        rows = db.execute(select(OrcidCall).where(OrcidCall.method == "POST",
                                                  OrcidCall.url.like("%/works"))
                          .order_by(OrcidCall.id)).scalars().all()
        token = world.cipher.decrypt(db.execute(select(OrcidLink.access_token_enc).where(
            OrcidLink.user_id == "u1")).scalar_one())
    assert [(r.status, r.orcid, r.user_id) for r in rows] == [(200, orcid, "u1")] * 5
    # each record keeps its own call's time (from just before its request left, so no later
    # than ORCID got it) and duration, not the time it was made
    for row, post in zip(rows, posts, strict=True):
        assert row.duration_ms >= 40
        assert row.at.timestamp() <= post["time"] + 0.001
    assert token not in "".join(
        (r.request_body or "") + (r.response_body or "") + r.url for r in rows)

