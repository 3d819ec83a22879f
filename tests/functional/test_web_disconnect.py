"""Disconnect (BP-3): revoke at ORCID, remove local data, survive an ORCID outage."""

from __future__ import annotations

from sqlalchemy import func, select

from orcid_pyramid.compliance.fixtures.app import (
    SEED_ORCID,
    app_registry,
    app_session,
    connect_via_emulator,
    csrf_token,
    stored_link,
)
from orcid_pyramid.events import OrcidDisconnected
from orcid_pyramid.models import OrcidCall, OrcidLink, OrcidPendingRevocation


def _tokens(emulator, orcid=SEED_ORCID):
    with emulator.state.lock:
        return [t for t in emulator.state.tokens.values() if t.orcid == orcid]


def _count(app, model, *where):
    with app_session(app) as session:
        return session.execute(select(func.count()).select_from(model).where(*where)
                               ).scalar_one()


def _disconnect(testapp, **kwargs):
    panel = testapp.get("/works")  # any page with the session's CSRF token
    return testapp.post("/orcid/disconnect", {"csrf_token": csrf_token(panel.text)}, **kwargs)


def test_disconnect_revokes_at_orcid_and_deletes_everything_local(testapp, demo_app, login,
                                                                   emulator):
    """BP-3: both tokens revoked at ORCID (the emulator refuses them afterwards), the link row,
    the put codes and the user's earlier call-log rows deleted, OrcidDisconnected notified."""
    from orcid_pyramid.models.sync import OrcidItem
    from orcid_pyramid.sync.worker import Worker

    seen = []
    app_registry(demo_app).registerHandler(seen.append, (OrcidDisconnected,))
    login("alice")
    connect_via_emulator(testapp, emulator)
    testapp.post("/works/push", {"csrf_token": csrf_token(testapp.get("/works").text)})
    registry = app_registry(demo_app)
    Worker(registry["orcid.dbengine"], registry["orcid.settings"]).run_once()
    assert _count(demo_app, OrcidItem, OrcidItem.user_id == "alice") == 3  # 2 works, 1 job
    assert stored_link(demo_app, "alice").id_token_enc  # DM-4: kept while connected
    assert _count(demo_app, OrcidCall, OrcidCall.user_id == "alice") >= 1
    before = len(emulator.control.calls())

    response = _disconnect(testapp)
    assert response.status_int == 200
    assert "Your ORCID iD is disconnected" in response.text
    revokes = [c for c in emulator.control.calls()[before:] if c["path"] == "/oauth/revoke"]
    assert len(revokes) == 2 and all(c["status"] == 200 for c in revokes)
    assert all(not token.live() for token in _tokens(emulator))
    assert stored_link(demo_app, "alice") is None
    with app_session(demo_app) as session:  # the id_token went with the row: none anywhere
        assert session.execute(select(func.count()).select_from(OrcidLink).where(
            OrcidLink.id_token_enc.is_not(None))).scalar_one() == 0
    assert _count(demo_app, OrcidItem, OrcidItem.user_id == "alice") == 0
    # only the two revoke calls remain: the record of the removal itself
    with app_session(demo_app) as session:
        kinds = session.execute(select(OrcidCall.kind).where(OrcidCall.user_id == "alice")
                                ).scalars().all()
    assert kinds == ["revoke", "revoke"]
    assert [(e.user_id, e.orcid, e.revoked) for e in seen] == [("alice", SEED_ORCID, True)]
    assert "Connect your ORCID iD" in testapp.get("/orcid/").text


def test_disconnect_deletes_the_sync_bookkeeping_of_the_user_and_the_id(testapp, demo_app,
                                                                        login, emulator):
    """With the put codes go the sync engine's rows naming the user and the iD: the writer
    lease the worker took (``OrcidSyncLock``) and the pull cursor of the record
    (``OrcidPullCursor``); another user's rows stay."""
    from sqlalchemy.orm import Session

    from orcid_pyramid.models.sync import OrcidPullCursor, OrcidSyncLock
    from orcid_pyramid.sync.pull import pull_all
    from orcid_pyramid.sync.worker import Worker

    registry = app_registry(demo_app)
    engine = registry["orcid.dbengine"]
    login("alice")
    connect_via_emulator(testapp, emulator)
    testapp.post("/works/push", {"csrf_token": csrf_token(testapp.get("/works").text)})
    Worker(engine, registry["orcid.settings"]).run_once()
    with Session(engine) as session:  # a scheduled pull reads the record: a cursor row
        pull_all(session, registry["orcid.client"], registry["orcid.cipher"], force=True)
        session.add(OrcidSyncLock(user_id="someone-else"))
        session.add(OrcidPullCursor(orcid="0000-0001-5109-3700"))
        session.commit()
    assert _count(demo_app, OrcidSyncLock, OrcidSyncLock.user_id == "alice") == 1
    assert _count(demo_app, OrcidPullCursor, OrcidPullCursor.orcid == SEED_ORCID) == 1

    assert _disconnect(testapp).status_int == 200
    assert _count(demo_app, OrcidSyncLock, OrcidSyncLock.user_id == "alice") == 0
    assert _count(demo_app, OrcidPullCursor, OrcidPullCursor.orcid == SEED_ORCID) == 0
    assert _count(demo_app, OrcidSyncLock, OrcidSyncLock.user_id == "someone-else") == 1
    assert _count(demo_app, OrcidPullCursor,
                  OrcidPullCursor.orcid == "0000-0001-5109-3700") == 1


def test_disconnect_when_orcid_is_down_still_removes_locally_and_retries(demo_app_factory,
                                                                         emulator_factory):
    """BP-3 through an outage: the link is gone at once, the tokens wait encrypted in
    orcid_pending_revocations, and retry_pending_revocations revokes them once ORCID is back."""
    import transaction
    from webtest import TestApp

    from orcid_pyramid.compliance.fixtures.app import login_as
    from orcid_pyramid.models import get_tm_session
    from orcid_pyramid.services.links import retry_pending_revocations

    orcid_host = emulator_factory()
    app = demo_app_factory(**{"orcid.base_url": orcid_host.base_url,
                              "orcid.api_url": orcid_host.api_url, "orcid.timeout": "2"})
    web = TestApp(app, extra_environ={"HTTP_HOST": "localhost"})
    login_as(web, "alice")
    connect_via_emulator(web, orcid_host)
    issued = _tokens(orcid_host)
    port = orcid_host.pause()  # ORCID is down; the emulator keeps its state
    try:
        response = _disconnect(web)
    finally:
        orcid_host.resume(port)  # ORCID is back
    assert response.status_int == 200
    assert "ORCID did not answer just now" in response.text
    assert stored_link(app, "alice") is None
    assert _count(app, OrcidPendingRevocation) == 2
    with app_session(app) as session:
        stored = session.execute(select(OrcidPendingRevocation.token_enc)).scalars().all()
    for token in issued:
        assert all(token.access_token not in value for value in stored)
    assert all(token.live() for token in issued)

    registry = app_registry(app)
    manager = transaction.TransactionManager()
    with manager:
        db = get_tm_session(registry["orcid.dbsession_factory"], manager)
        done, pending = retry_pending_revocations(db, registry["orcid.client"],
                                                  registry["orcid.cipher"])
    assert (done, pending) == (2, 0)
    assert _count(app, OrcidPendingRevocation) == 0
    assert all(not token.live() for token in _tokens(orcid_host))


def test_disconnect_without_a_link_just_says_so(testapp, login, emulator):
    """Nothing to remove: a clear message, no error."""
    login("bob")
    response = _disconnect(testapp)
    assert response.status_int == 302
    assert "No ORCID iD is connected" in response.follow().text


def test_settings_can_keep_put_codes_and_call_log(demo_app_factory, emulator):
    """orcid.disconnect_delete_items/calls = false keep those rows (site policy)."""
    from webtest import TestApp

    from orcid_pyramid.compliance.fixtures.app import login_as
    from orcid_pyramid.models.sync import OrcidItem
    from orcid_pyramid.sync.worker import Worker

    app = demo_app_factory(**{"orcid.disconnect_delete_items": "false",
                              "orcid.disconnect_delete_calls": "false"})
    web = TestApp(app, extra_environ={"HTTP_HOST": "localhost"})
    login_as(web, "alice")
    connect_via_emulator(web, emulator)
    web.post("/works/push", {"csrf_token": csrf_token(web.get("/works").text)})
    registry = app_registry(app)
    Worker(registry["orcid.dbengine"], registry["orcid.settings"]).run_once()
    calls_before = _count(app, OrcidCall, OrcidCall.user_id == "alice")
    _disconnect(web)
    assert _count(app, OrcidItem, OrcidItem.user_id == "alice") == 3
    assert _count(app, OrcidCall, OrcidCall.user_id == "alice") == calls_before + 2
