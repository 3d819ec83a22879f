"""The demo pushes the user's works AND an employment to ORCID; the demo's own background
worker (``demo.sync_worker = true``, as in development.ini) drains them; the panel and the
works page show each item's status in words. And the web process's ORCID calls draw from the
same rate-limit bucket as the worker's."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from orcid_pyramid.compliance.fixtures.app import (
    DEMO_CLIENT_ID,
    SEED_ORCID,
    app_registry,
    app_session,
    connect_via_emulator,
    csrf_token,
    login_as,
)

#: an upper bound for the background worker to drain a few items (it polls every second)
DRAIN_WITHIN = 60.0


def _wait_until_drained(app) -> None:
    """Block until the outbox has no open row (the background worker did its work)."""
    from orcid_pyramid.models.sync import OrcidOutbox

    deadline = time.monotonic() + DRAIN_WITHIN
    while True:
        with app_session(app) as session:
            rows = session.execute(select(OrcidOutbox)).scalars().all()
        if rows and all(row.done_at is not None for row in rows):
            return
        if time.monotonic() > deadline:
            pytest.fail(f"the demo's worker did not drain the outbox: {rows!r}")
        time.sleep(0.2)


def _record_put_codes(emulator, section: str) -> dict[int, dict]:
    record = emulator.control.record(SEED_ORCID)
    return {int(item["put-code"]): item for item in (record.get("sections") or {}).get(section, [])
            if item["source-client-id"] == DEMO_CLIENT_ID}


def test_demo_pushes_works_and_employment_and_its_worker_drains_them(demo_app_factory,
                                                                    emulator):
    """CC-CONNECT / CC-SYNC in the demo: "Send my works and employment to ORCID" queues the
    works and the employment, the background worker sends them to the emulator, the record
    holds them under the put codes our database stored, and the panel says "in ORCID" for
    each."""
    from webtest import TestApp

    from orcid_pyramid.models.sync import OrcidItem

    app = demo_app_factory(**{"demo.sync_worker": "true"})
    assert app_registry(app).get("demo.worker_thread").is_alive()
    web = TestApp(app, extra_environ={"HTTP_HOST": "localhost"})
    login_as(web, "alice")
    assert connect_via_emulator(web, emulator).status_int == 302
    works_page = web.get("/works")
    assert "Boston University" in works_page.text and "not sent" in works_page.text
    done = web.post("/works/push", {"csrf_token": csrf_token(works_page.text)}).follow()
    assert "Your works and employment (3 items) are queued for ORCID." in done.text
    _wait_until_drained(app)

    with app_session(app) as session:
        items = {row.local_key: row for row in session.execute(
            select(OrcidItem).where(OrcidItem.user_id == "alice")).scalars()}
    assert set(items) == {"alice-1", "alice-2", "demo-employment"}
    assert {row.status for row in items.values()} == {"synced"}
    works = _record_put_codes(emulator, "works")
    employments = _record_put_codes(emulator, "employments")
    # exactly what our database stored: no duplicate, nothing missing
    assert {items["alice-1"].put_code, items["alice-2"].put_code} == set(works)
    assert {items["demo-employment"].put_code} == set(employments)
    assert items["demo-employment"].section == "employment"
    assert "Boston University" in str(employments[items["demo-employment"].put_code])

    panel = web.get("/orcid/")
    assert panel.text.count("in ORCID") == 3
    for title in ("The Semiotics of the Lost Umbrella",
                  "Toward a Unified Theory of High-Energy Metaphysics"):
        assert title in panel.text
    assert "Boston University" in panel.text
    works_page = web.get("/works")
    assert works_page.text.count("in ORCID") == 3
    assert "not sent" not in works_page.text
