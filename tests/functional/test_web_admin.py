"""The admin call log (DM-7): every ORCID call, redacted, filterable, paged, admin only."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from orcid_pyramid.compliance.fixtures.app import SEED_ORCID, app_registry, connect_via_emulator


def _rows(text: str) -> list[str]:
    return re.findall(r'<tr class="orcid-call">(.*?)</tr>', text, re.S)


def test_admin_sees_every_call_with_method_url_status_duration_and_bodies(testapp, login,
                                                                         emulator):
    """DM-7: the token exchange and the JWKS read are logged with method, URL, status,
    duration, bodies, iD and user; token values are redacted."""
    login("alice")
    connect_via_emulator(testapp, emulator)
    login("admin")
    page = testapp.get("/orcid/admin/calls")
    rows = _rows(page.text)
    token_rows = [r for r in rows if "/oauth/token" in r]
    assert len(token_rows) == 1
    row = token_rows[0]
    assert "<td>POST</td>" in row and "<td>200</td>" in row
    assert "<td>alice</td>" in row
    assert re.search(r"<td>\d+</td><td>0000-0002-1825-0097</td>", row) or SEED_ORCID in row
    assert "access_token" in row and "[redacted]" in row
    assert "client_secret=[redacted]" in row or "client_secret" not in row
    assert any("/oauth/jwks" in r for r in rows)


def test_non_admin_is_refused_and_anonymous_sent_to_login(testapp, login, emulator):
    """The call log needs the orcid.admin permission (the host's policy decides)."""
    assert testapp.get("/orcid/admin/calls").status_int == 302
    login("alice")
    assert testapp.get("/orcid/admin/calls", status=403).status_int == 403


def test_filters_and_paging(testapp, demo_app, login, emulator):
    """Filters by iD, user, status class, method and dates; 50 rows a page."""
    from orcid_pyramid.compliance.fixtures.app import app_session
    from orcid_pyramid.models import OrcidCall

    now = datetime.now(UTC)
    with app_session(demo_app) as session:
        for i in range(60):
            session.add(OrcidCall(at=now - timedelta(minutes=i), kind="api", method="GET",
                                  url=f"http://x/v3.0/{SEED_ORCID}/works/{i}",
                                  status=200 if i % 2 else 404, duration_ms=5,
                                  orcid=SEED_ORCID, user_id="alice"))
        session.add(OrcidCall(at=now - timedelta(days=3), kind="oauth", method="POST",
                              url="http://x/oauth/token", status=None, duration_ms=None,
                              orcid=None, user_id="bob", error="OrcidTimeout"))
        session.commit()
    login("admin")
    first = testapp.get("/orcid/admin/calls")
    assert "61 calls; page 1 of 2." in first.text and len(_rows(first.text)) == 50
    second = testapp.get("/orcid/admin/calls", {"page": "2"})
    assert len(_rows(second.text)) == 11
    assert "30 calls" in testapp.get("/orcid/admin/calls", {"status": "4xx"}).text
    assert "1 call;" in testapp.get("/orcid/admin/calls", {"status": "none"}).text
    assert "1 call;" in testapp.get("/orcid/admin/calls", {"user": "bob"}).text
    assert "1 call;" in testapp.get("/orcid/admin/calls", {"method": "POST"}).text
    assert "60 calls" in testapp.get("/orcid/admin/calls", {"orcid": SEED_ORCID}).text
    day = (now - timedelta(days=3)).date().isoformat()
    assert "1 call;" in testapp.get("/orcid/admin/calls", {"from": day, "to": day}).text


def test_bad_filter_values_are_explained_not_crashing(testapp, login, emulator):
    """DM-8: nonsense in the query string gives a note, never a 500."""
    login("admin")
    page = testapp.get("/orcid/admin/calls", {"from": "yesterday", "page": "x", "status": "9xx",
                                              "method": "BREW", "orcid": "<script>"})
    assert page.status_int == 200
    assert "From must be a date" in page.text
    assert "Unknown status class" in page.text and "Unknown method" in page.text
    assert "<script>" not in page.text


def test_old_calls_are_pruned_after_the_retention_period(demo_app, emulator):
    """Retention: rows older than orcid.call_log_retention_days are deleted."""
    from sqlalchemy import func, select

    from orcid_pyramid.compliance.fixtures.app import app_session
    from orcid_pyramid.models import OrcidCall
    from orcid_pyramid.services.calllog import prune

    now = datetime.now(UTC)
    with app_session(demo_app) as session:
        for age in (1, 89, 91, 400):
            session.add(OrcidCall(at=now - timedelta(days=age), kind="api", method="GET",
                                  url="http://x", status=200))
        session.commit()
    engine = app_registry(demo_app)["orcid.dbengine"]
    assert prune(engine, 90) == 2
    with app_session(demo_app) as session:
        assert session.execute(select(func.count()).select_from(OrcidCall)).scalar_one() == 2
