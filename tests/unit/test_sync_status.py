"""What the panel shows: each item's state in words, per user and for the admin page."""

from __future__ import annotations

from orcid_pyramid.models.meta import utcnow
from orcid_pyramid.models.sync import OrcidItem, OrcidOutbox
from orcid_pyramid.sync.status import items_for_admin, items_for_user, pending_count, status_text


def _item(key, status, user="u1", error=None, put_code=None):
    return OrcidItem(user_id=user, section="work", local_key=key, title=f"Title {key}",
                     status=status, last_error=error, put_code=put_code, updated_at=utcnow())


def test_status_words_name_each_state_and_carry_orcids_message():
    assert status_text("synced") == "in ORCID"
    assert status_text("deleted_on_orcid") == "deleted by you on ORCID"
    assert "revoked" in status_text("revoked")
    assert status_text("rejected", "title missing") == "rejected by ORCID: title missing"
    assert status_text("retrying", "OrcidServerError: 503") == "ORCID did not answer; will retry"
    assert status_text("retrying", "OrcidMalformedResponse: no put code") == (
        "ORCID's answer could not be read; will retry")


def test_items_for_user_lists_only_that_users_items_with_their_words(dbsession):
    dbsession.add_all([_item("a", "synced", put_code=12), _item("b", "rejected", error="bad"),
                       _item("c", "pending", user="u2")])
    dbsession.flush()
    shown = items_for_user(dbsession, "u1")
    assert [(i.local_key, i.put_code, i.status_text) for i in shown] == [
        ("a", 12, "in ORCID"), ("b", None, "rejected by ORCID: bad")]
    assert {i.user_id for i in items_for_admin(dbsession)} >= {"u1", "u2"}
    assert [i.local_key for i in items_for_admin(dbsession, status="pending")] == ["c"]


def test_pending_count_counts_rows_not_done(dbsession):
    now = utcnow()
    dbsession.add_all([
        OrcidOutbox(user_id="u1", section="work", local_key="a", action="put", title="",
                    created_at=now, attempts=0, next_attempt_at=now),
        OrcidOutbox(user_id="u1", section="work", local_key="b", action="put", title="",
                    created_at=now, attempts=0, done_at=now),
    ])
    dbsession.flush()
    assert pending_count(dbsession, "u1") == 1
