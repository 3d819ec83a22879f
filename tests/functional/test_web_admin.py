"""The admin call log (DM-7): every ORCID call, redacted, filterable, paged, admin only."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import lxml.html

from orcid_pyramid.compliance.fixtures.app import SEED_ORCID, app_registry, connect_via_emulator


def _rows(text: str) -> list[str]:
    return re.findall(r'<tr class="orcid-call">(.*?)</tr>', text, re.S)


def _cells(text: str) -> list[dict[str, str]]:
    """Each call row as {column name: the cell's text}, from the cells' ``data-label``."""
    doc = lxml.html.fromstring(text)
    return [{td.get("data-label"): " ".join(td.text_content().split())
             for td in tr.findall("td")} for tr in doc.find_class("orcid-call")]


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
    assert "access_token" in row and "[redacted]" in row
    assert "client_secret=[redacted]" in row or "client_secret" not in row
    assert any("/oauth/jwks" in r for r in rows)
    token = next(c for c in _cells(page.text) if "/oauth/token" in c["Call"])
    assert token["Call"].startswith("POST ") and token["Answer"] == "200"
    assert token["User"] == "alice" and token["ORCID iD"] == SEED_ORCID
    assert re.fullmatch(r"\d+ ms", token["Took"]), token


def test_revoke_rows_name_the_id_and_the_user(testapp, login, emulator):
    """Issue 14 (fails on main: the revoke rows' iD cell was empty): a disconnect's revoke
    calls name the iD they withdrew and the user, like every other row."""
    from orcid_pyramid.compliance.fixtures.app import csrf_token

    login("alice")
    connect_via_emulator(testapp, emulator)
    panel = testapp.get("/orcid/")
    testapp.post("/orcid/disconnect", {"csrf_token": csrf_token(panel.text)})
    login("admin")
    revokes = [c for c in _cells(testapp.get("/orcid/admin/calls").text)
               if "/oauth/revoke" in c["Call"]]
    assert revokes, "the disconnect made no revoke call"
    assert all(c["ORCID iD"] == SEED_ORCID and c["User"] == "alice" for c in revokes), revokes


def test_filters_are_a_get_form_and_rows_link_to_their_filters(testapp, login, emulator):
    """A filtered view is a URL (shareable); each iD and user links to the log filtered to it,
    keeping the other filters; the bodies sit in a collapsed ``<details>``, JSON indented."""
    login("alice")
    connect_via_emulator(testapp, emulator)
    login("admin")
    page = testapp.get("/orcid/admin/calls", {"method": "POST"})
    form = page.forms["orcid-call-filters"]
    assert form.method.lower() == "get" and form["method"].value == "POST"
    doc = lxml.html.fromstring(page.text)
    row = doc.find_class("orcid-call")[0]
    id_link = row.xpath('td[@data-label="ORCID iD"]/a')[0].get("href")
    assert f"orcid={SEED_ORCID}" in id_link and "method=POST" in id_link
    assert testapp.get(id_link).text.count('class="orcid-call"') >= 1
    details = row.xpath(".//details")[0]
    assert details.get("open") is None
    response = details.find_class("orcid-body")[1].text_content()
    assert '\n  "access_token": "[redacted]"' in response  # indented, one key per line


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
