"""The admin items page: every user's ORCID items and their sync status in words, admin only."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from orcid_pyramid.compliance.fixtures.app import (
    SEED_ORCID,
    app_registry,
    app_session,
    connect_via_emulator,
)

OTHER_ORCID = "0000-0002-9079-593X"


def _rows(text: str) -> list[str]:
    return re.findall(r'<tr class="orcid-item">(.*?)</tr>', text, re.S)


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
    rows = _rows(page.text)
    assert len(rows) == 6
    by_title = {re.search(r"Work \w+ of \w+", r).group(0): r for r in rows}
    synced = by_title["Work synced of alice"]
    assert "<td>alice</td>" in synced and f"<td>{SEED_ORCID}</td>" in synced
    assert "<td>work</td>" in synced and "<td>1201</td>" in synced
    assert "<td>in ORCID</td>" in synced
    assert "waiting to be sent" in by_title["Work pending of alice"]
    assert "<td>never</td>" in by_title["Work pending of alice"]
    bob_deleted = by_title["Work deleted_on_orcid of bob"]
    assert "<td>bob</td>" in bob_deleted and f"<td>{OTHER_ORCID}</td>" in bob_deleted
    assert "deleted by you on ORCID" in bob_deleted
    assert "access revoked" in by_title["Work revoked of bob"]
    retrying = by_title["Work retrying of bob"]
    assert "ORCID did not answer; will retry" in retrying
    assert "OrcidTimeout: no answer in 10 s" in retrying
    assert re.search(r"<td>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d</td>", retrying)
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
    row = next(r for r in _rows(after) if "The Semiotics of the Lost Umbrella" in r)
    assert "<td>in ORCID</td>" in row and "<td>alice</td>" in row
    assert re.search(r"<td>\d+</td><td>in ORCID</td>", row)  # the put code ORCID gave


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
