"""The data model: constraints enforced by the database, UTC datetimes, link helpers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError, StatementError

from orcid_pyramid.models import (
    STATUS_REVOKED,
    OrcidCall,
    OrcidLink,
    OrcidPendingRevocation,
    utcnow,
)

ORCID_A = "0000-0002-1825-0097"
ORCID_B = "0000-0001-5109-3700"


def make_link(cipher, user_id="alice", orcid=ORCID_A, **extra) -> OrcidLink:
    values = dict(
        user_id=user_id,
        orcid=orcid,
        name="Josiah Carberry",
        access_token_enc=cipher.encrypt("89f0181c-168b-4d7d-831c-1fdda2d7bbbb"),
        refresh_token_enc=cipher.encrypt("69e883f6-d84e-4ae6-87f5-ef0044e3e9a7"),
        token_type="bearer",
        scope="/read-limited /activities/update openid",
        expires_at=utcnow() + timedelta(seconds=631138518),
        id_token_claims={"sub": orcid, "given_name": "Josiah"},
    )
    values.update(extra)
    return OrcidLink(**values)


def test_a_stored_link_keeps_every_token_field_and_decrypts(dbsession, token_cipher):
    dbsession.add(make_link(token_cipher))
    dbsession.flush()
    dbsession.expire_all()
    link = dbsession.scalars(select(OrcidLink).where(OrcidLink.user_id == "alice")).one()
    assert token_cipher.decrypt(link.access_token_enc) == "89f0181c-168b-4d7d-831c-1fdda2d7bbbb"
    assert token_cipher.decrypt(link.refresh_token_enc) == "69e883f6-d84e-4ae6-87f5-ef0044e3e9a7"
    assert link.id_token_claims == {"sub": ORCID_A, "given_name": "Josiah"}
    assert link.status == "active"
    assert link.expires_at.tzinfo is not None and link.expires_at.utcoffset() == timedelta(0)
    assert link.created_at.tzinfo is not None


def test_the_database_refuses_two_links_for_one_user(dbsession, token_cipher):
    dbsession.add(make_link(token_cipher, user_id="alice", orcid=ORCID_A))
    dbsession.flush()
    dbsession.add(make_link(token_cipher, user_id="alice", orcid=ORCID_B))
    with pytest.raises(IntegrityError):
        dbsession.flush()


def test_the_database_refuses_one_orcid_for_two_users(dbsession, token_cipher):
    dbsession.add(make_link(token_cipher, user_id="alice", orcid=ORCID_A))
    dbsession.flush()
    dbsession.add(make_link(token_cipher, user_id="bob", orcid=ORCID_A))
    with pytest.raises(IntegrityError):
        dbsession.flush()


def test_datetimes_come_back_in_utc_whatever_zone_went_in(dbsession):
    paris = timezone(timedelta(hours=1))
    sent = datetime(2026, 3, 1, 13, 30, tzinfo=paris)
    dbsession.add(OrcidCall(method="GET", url="https://api.sandbox.orcid.org/v3.0/x", at=sent))
    dbsession.flush()
    dbsession.expire_all()
    call = dbsession.scalars(select(OrcidCall)).one()
    assert call.at == sent
    assert call.at.tzinfo is not None and call.at.utcoffset() == timedelta(0)
    assert call.at.hour == 12


def test_a_naive_datetime_is_refused_rather_than_guessed(dbsession):
    dbsession.add(OrcidCall(method="GET", url="https://x.test/", at=datetime(2026, 1, 1)))
    with pytest.raises(StatementError, match="timezone-aware"):
        dbsession.flush()


def test_a_call_without_response_is_stored_with_null_status(dbsession):
    dbsession.add(OrcidCall(method="POST", url="https://sandbox.orcid.org/oauth/token",
                            kind="oauth", error="connection refused", user_id="alice"))
    dbsession.flush()
    call = dbsession.scalars(select(OrcidCall)).one()
    assert call.status is None and call.error == "connection refused"
    assert call.at.tzinfo is not None


def test_call_log_is_indexed_on_time_orcid_and_user(db_engine):
    indexed = {tuple(ix["column_names"]) for ix in inspect(db_engine).get_indexes("orcid_calls")}
    assert {("at",), ("orcid",), ("user_id",)} <= indexed


def test_pending_revocation_defaults(dbsession, token_cipher):
    dbsession.add(OrcidPendingRevocation(token_enc=token_cipher.encrypt("t")))
    dbsession.flush()
    row = dbsession.scalars(select(OrcidPendingRevocation)).one()
    assert row.attempts == 0 and row.last_error is None
    assert row.next_attempt_at <= utcnow()


def test_covers_uses_orcid_scope_hierarchy(token_cipher):
    link = make_link(token_cipher, scope="/read-limited openid")
    assert link.scopes == frozenset({"/read-limited", "openid"})
    assert link.covers(["/read-limited"])
    assert link.covers(["/authenticate", "/activities/read-limited"])  # implied by ORCID
    assert link.covers([])
    assert not link.covers(["/read-limited", "/activities/update"])


def test_is_live_needs_active_status_a_token_and_time_left(token_cipher):
    now = datetime(2030, 1, 1, tzinfo=UTC)
    link = make_link(token_cipher, expires_at=now + timedelta(days=1))
    assert link.is_live(now)
    assert not link.is_live(now + timedelta(days=2))
    link.expires_at = None
    assert link.is_live(now)
    link.mark_revoked(now)
    assert link.status == STATUS_REVOKED and link.revoked_at == now
    assert link.access_token_enc is None and link.refresh_token_enc is None
    assert not link.is_live(now)


def test_repr_shows_no_token_material(token_cipher):
    link = make_link(token_cipher)
    assert link.access_token_enc not in repr(link)
    assert ORCID_A in repr(link)
