"""The admin items page: every user's ORCID items and their sync status in words, admin only."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import lxml.html

from orcid_pyramid.compliance.fixtures.app import (
    SEED_ORCID,
    app_registry,
    app_session,
    connect_via_emulator,
)

OTHER_ORCID = "0000-0002-9079-593X"


def _rows(text: str) -> list[str]:
    return re.findall(r'<tr class="orcid-item">(.*?)</tr>', text, re.S)


def _cells(text: str) -> list[dict[str, str]]:
    """Each item row as {column name: the cell's text}, from the cells' ``data-label``."""
    doc = lxml.html.fromstring(text)
    return [{td.get("data-label"): " ".join(td.text_content().split())
             for td in tr.findall("td")} for tr in doc.find_class("orcid-item")]


def _seed(demo_app) -> None:
    """One item in each status, spread over two users."""
    from orcid_pyramid.models.sync import OrcidItem

    now = datetime.now(UTC)
    rows = [
        ("alice", SEED_ORCID, "pending", None, None),
        ("alice", SEED_ORCID, "synced", 1201, None),
        ("alice", SEED_ORCID, "rejected", None, "The title is missing."),
        ("bob", OTHER_ORCID, "deleted_on_orcid", 1302, None),
        ("bob", OTHER_ORCID, "revoked", 1303, "invalid_token"),
        ("bob", OTHER_ORCID, "retrying", None, "OrcidTimeout: no answer in 10 s"),
    ]
    with app_session(demo_app) as session:
        for i, (user, orcid, status, put_code, error) in enumerate(rows):
            session.add(OrcidItem(user_id=user, orcid=orcid, section="work",
                                  local_key=f"{user}-{i}", title=f"Work {status} of {user}",
                                  status=status, put_code=put_code, last_error=error,
                                  last_attempt_at=now - timedelta(minutes=i) if i else None,
                                  updated_at=now - timedelta(minutes=i)))
        session.commit()


def test_admin_sees_every_users_items_with_status_in_words(testapp, demo_app, login, emulator):
    """The issue: the admin sees each item's state for everyone, in the panel's words."""
    _seed(demo_app)
    login("admin")
    page = testapp.get("/orcid/admin/items")
    assert "6 items; page 1 of 1." in page.text
    rows = _cells(page.text)
    assert len(rows) == 6
    by_title = {r["Title"]: r for r in rows}
    synced = by_title["Work synced of alice"]
    assert synced["User"] == "alice" and synced["ORCID iD"] == SEED_ORCID
    assert synced["Section"] == "Work" and synced["Put code"] == "1201"
    assert synced["Status"] == "on ORCID"
    assert by_title["Work pending of alice"]["Status"] == "waiting to be sent"
    assert by_title["Work pending of alice"]["Last attempt (UTC)"] == "never"
    bob_deleted = by_title["Work deleted_on_orcid of bob"]
    assert bob_deleted["User"] == "bob" and bob_deleted["ORCID iD"] == OTHER_ORCID
    # in an administrator's words: the researcher deleted it, not "you" (issue 14)
    assert bob_deleted["Status"] == "deleted by the researcher on ORCID; not sent again"
    assert "by you" not in page.text
    assert by_title["Work revoked of bob"]["Status"].startswith("the researcher withdrew access")
    retrying = by_title["Work retrying of bob"]
    assert retrying["Status"] == "ORCID did not answer; will retry"
    assert retrying["Last error"] == "OrcidTimeout: no answer in 10 s"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", retrying["Last attempt (UTC)"])
    # the two admin pages link to each other
    assert "/orcid/admin/calls" in page.text
    assert "/orcid/admin/items" in testapp.get("/orcid/admin/calls").text


def test_items_sent_by_the_worker_show_up_for_the_admin(testapp, demo_app, login, emulator):
    """Real items: alice pushes her works, the worker sends them, the admin sees them synced."""
    from orcid_pyramid.compliance.fixtures.app import csrf_token
    from orcid_pyramid.sync.worker import Worker

    login("alice")
    connect_via_emulator(testapp, emulator)
    works = testapp.get("/works")
    testapp.post("/works/push", {"csrf_token": csrf_token(works.text)})
    login("admin")
    before = testapp.get("/orcid/admin/items", {"status": "pending"}).text
    assert "The Semiotics of the Lost Umbrella" in before
    registry = app_registry(demo_app)
    Worker(registry["orcid.dbengine"], registry["orcid.settings"]).run_once()
    after = testapp.get("/orcid/admin/items").text
    row = next(r for r in _cells(after) if r["Title"] == "The Semiotics of the Lost Umbrella")
    assert row["Status"] == "on ORCID" and row["User"] == "alice"
    assert row["Put code"].isdigit()  # the put code ORCID gave


def test_non_admin_is_refused_and_anonymous_sent_to_login(testapp, login, emulator):
    """The page needs the admin permission, like the call log."""
    assert testapp.get("/orcid/admin/items").status_int == 302
    login("alice")
    assert testapp.get("/orcid/admin/items", status=403).status_int == 403


def test_nav_link_only_for_the_admin(testapp, login, emulator):
    """The demo's nav offers the admin pages to the admin user only."""
    login("alice")
    assert "ORCID items" not in testapp.get("/").text
    login("admin")
    home = testapp.get("/").text
    assert "ORCID items" in home and "ORCID call log" in home


def test_status_and_user_filters(testapp, demo_app, login, emulator):
    """Filter by status and by user, alone and together."""
    _seed(demo_app)
    login("admin")
    rejected = testapp.get("/orcid/admin/items", {"status": "rejected"}).text
    assert "1 item;" in rejected
    assert [bool(re.search("Work rejected of alice", r)) for r in _rows(rejected)] == [True]
    assert "3 items;" in testapp.get("/orcid/admin/items", {"user": "bob"}).text
    both = testapp.get("/orcid/admin/items", {"user": "bob", "status": "revoked"}).text
    assert "1 item;" in both and "Work revoked of bob" in both
    assert "0 items;" in testapp.get("/orcid/admin/items",
                                     {"user": "alice", "status": "revoked"}).text


def test_paging(testapp, demo_app, login, emulator):
    """50 rows a page, the newest first."""
    from orcid_pyramid.models.sync import OrcidItem

    now = datetime.now(UTC)
    with app_session(demo_app) as session:
        for i in range(55):
            session.add(OrcidItem(user_id="carol", section="work", local_key=f"k{i}",
                                  title=f"Item {i:02d}", status="synced", put_code=i,
                                  updated_at=now - timedelta(minutes=i)))
        session.commit()
    login("admin")
    first = testapp.get("/orcid/admin/items")
    assert "55 items; page 1 of 2." in first.text and len(_rows(first.text)) == 50
    assert "Item 00" in _rows(first.text)[0]
    second = testapp.get("/orcid/admin/items", {"page": "2", "user": "carol"})
    assert len(_rows(second.text)) == 5 and "Item 54" in _rows(second.text)[-1]


def test_rejected_items_orcid_message_appears_once(testapp, demo_app, login, emulator):
    """DM-8: ORCID's reason is shown with the status, and not repeated as the last error."""
    _seed(demo_app)
    login("admin")
    page = testapp.get("/orcid/admin/items").text
    assert "rejected by ORCID: The title is missing." in page
    assert page.count("The title is missing.") == 1


def test_bad_filter_values_are_explained_not_crashing(testapp, login, emulator):
    """DM-8: nonsense in the query string gives a note, never a 500."""
    login("admin")
    page = testapp.get("/orcid/admin/items", {"status": "<script>", "page": "x",
                                              "user": "<b>x</b>"})
    assert page.status_int == 200
    assert "Unknown item status" in page.text and "page number was not a number" in page.text
    assert "<script>" not in page.text and "<b>x</b>" not in page.text
