"""The demo's "Import my works from ORCID" page (CC-COLLECT): it reads the researcher's record
with their token, imports the works other sources put there (never the site's own), shows the
profile fields it pre-fills, and its member-API calls draw from the rate-limit bucket the sync
worker uses."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from orcid_pyramid.compliance.fixtures.app import (
    DEMO_CLIENT_ID,
    SEED_ORCID,
    app_registry,
    connect_via_emulator,
    csrf_token,
    login_as,
)
from orcid_pyramid.sync.builders import ExternalId, Work


def _other_sources_works(emulator) -> str:
    """Two works on the record from another member client; returns that client's id."""
    other = emulator.control.add_client(name="Another Repository")
    for title, doi, year in (("A Work From Elsewhere", "10.5555/elsewhere-1", "2017"),
                             ("Another External Paper", "10.5555/elsewhere-2", "2021")):
        work = Work(title=title, type="journal-article",
                    external_ids=[ExternalId("doi", doi)], publication_date=year)
        emulator.control.add_item(SEED_ORCID, "work", work.to_json(),
                                  source_client_id=other["client_id"], visibility="public")
    return other["client_id"]


def _our_work(emulator) -> None:
    """A work this site (the demo client) wrote earlier: it must not be imported back."""
    work = Work(title="Our Own Pushed Work", type="journal-article",
                external_ids=[ExternalId("doi", "10.5555/ours-1")], publication_date="2019")
    emulator.control.add_item(SEED_ORCID, "work", work.to_json(),
                              source_client_id=DEMO_CLIENT_ID, visibility="public")


def _imported_titles(page_text: str) -> list[str]:
    table = re.search(r'<table class="orcid-items" id="imported-works">(.*?)</table>',
                      page_text, re.S)
    assert table, "no imported-works table on the page"
    return re.findall(r"<tr><td>([^<]+)</td>", table.group(1))


def test_import_shows_other_sources_works_and_prefills_the_profile(testapp, emulator):
    """CC-COLLECT: with the /read-limited token the demo reads the record, lists the works
    another client added (not the one this client wrote) and pre-fills name and e-mail."""
    _other_sources_works(emulator)
    _our_work(emulator)
    login_as(testapp, "alice")
    assert connect_via_emulator(testapp, emulator).status_int == 302
    page = testapp.get("/import")
    assert "Import my works from ORCID" in page.text
    done = testapp.post("/import", {"csrf_token": csrf_token(page.text)})
    assert done.status_int == 200
    assert sorted(_imported_titles(done.text)) == ["A Work From Elsewhere",
                                                   "Another External Paper"]
    assert "Another Repository" in done.text
    assert "Our Own Pushed Work" not in done.text
    assert "1 work this site sent to ORCID was left out." in done.text
    prefill = re.search(r'<dl class="demo-prefill" id="prefill">(.*?)</dl>', done.text, re.S)
    assert prefill, "no pre-filled profile on the page"
    assert "<dd>Josiah</dd>" in prefill.group(1)
    assert "<dd>Carberry</dd>" in prefill.group(1)
    assert "josiah.carberry@example.org" in prefill.group(1)
    calls = [c for c in emulator.control.calls() if c["host"] == "api"
             and c["method"] == "GET" and "/record" in c["path"]]
    assert calls and all(c["status"] == 200 for c in calls)


def test_import_needs_a_connection_and_the_csrf_token(testapp, emulator):
    """Not connected: a clear message, no call to ORCID. A forged POST imports nothing."""
    login_as(testapp, "bob")
    page = testapp.get("/import")
    assert "Connect your ORCID iD first" in page.text
    assert "Import my works from ORCID" not in page.text
    refused = testapp.post("/import", {"csrf_token": csrf_token(page.text)}, status=409)
    assert "Connect your ORCID iD first" in refused.text
    testapp.post("/import", {"csrf_token": "forged"}, status=400)
    assert not [c for c in emulator.control.calls() if c["host"] == "api"]


def test_import_when_orcid_is_down_shows_a_clear_page(testapp, emulator):
    """DM-8 on the import page: ORCID answering 503 gives the error page with support, never
    a traceback."""
    login_as(testapp, "alice")
    assert connect_via_emulator(testapp, emulator).status_int == 302
    page = testapp.get("/import")
    emulator.control.set_faults(1.0, ["503"])
    try:
        failed = testapp.post("/import", {"csrf_token": csrf_token(page.text)}, status=503)
    finally:
        emulator.control.set_faults(0)
    assert "Your works were not imported" in failed.text
    assert "support@example.org" in failed.text
    assert "Traceback" not in failed.text


def _bucket_tokens(limiter, engine) -> float:
    """Tokens left in the worker's bucket: the in-process bucket (SQLite) or the shared row
    in the database (PostgreSQL)."""
    if hasattr(limiter, "tokens"):
        return limiter.tokens
    with engine.connect() as connection:
        return connection.execute(
            text("SELECT tokens FROM orcid_rate_buckets WHERE name = :name"),
            {"name": limiter.name}).scalar_one()


def test_web_calls_take_from_the_workers_rate_bucket(demo_app_factory, emulator):
    """DM-5-style shared budget: a member-API call made by the web process (the import) takes
    a token from the SAME bucket the sync worker draws from, so web and worker together stay
    within ORCID's 24/s burst 40. (Refill is set near zero so the count is exact.)"""
    from webtest import TestApp

    from orcid_pyramid.sync.worker import Worker

    app = demo_app_factory(**{"orcid.rate_limit": "0.0001/40"})
    registry = app_registry(app)
    engine = registry["orcid.dbengine"]
    web = TestApp(app, extra_environ={"HTTP_HOST": "localhost"})
    login_as(web, "alice")
    assert connect_via_emulator(web, emulator).status_int == 302
    _other_sources_works(emulator)
    worker_limiter = Worker(engine, registry["orcid.settings"]).rate_limiter
    # the worker's bucket before: full (its first take creates the row on PostgreSQL)
    worker_limiter.acquire()
    before = _bucket_tokens(worker_limiter, engine)
    first = len(emulator.control.calls())
    page = web.get("/import")
    web.post("/import", {"csrf_token": csrf_token(page.text)})
    made = [c for c in emulator.control.calls()[first:] if c["host"] == "api"]
    assert len(made) == 2  # the record, then the imported works in bulk
    after = _bucket_tokens(worker_limiter, engine)
    assert before - after == pytest.approx(len(made), abs=0.01)
