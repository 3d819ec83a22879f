"""Every grant ends revoked at ORCID: a disconnect during an outage is finished by
``orcid-pyramid sync --once`` once ORCID is back, and a token ORCID granted but the callback
did not store is revoked (through the demo site, the CLI and the emulator only)."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import func, select

from orcid_pyramid.cli import main
from orcid_pyramid.compliance.fixtures.app import (
    SEED_ORCID,
    app_session,
    authorize_request,
    connect_via_emulator,
    csrf_token,
    local_path,
    stored_link,
)
from orcid_pyramid.events import OrcidConnected
from orcid_pyramid.models import OrcidCall, OrcidPendingRevocation


def _tokens(emulator, orcid=SEED_ORCID):
    with emulator.state.lock:
        return [t for t in emulator.state.tokens.values() if t.orcid == orcid]


def _pending(app) -> int:
    with app_session(app) as session:
        return session.execute(select(func.count()).select_from(OrcidPendingRevocation)
                               ).scalar_one()


def site_ini(tmp_path, settings: dict) -> str:
    """The demo site's ini file with exactly the settings the test app runs with."""
    lines = ["[app:main]", "use = egg:orcid-pyramid#demo"]
    lines += [f"{key} = {str(value).replace('%', '%%')}" for key, value in settings.items()]
    path = tmp_path / "site.ini"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_a_disconnect_during_an_outage_is_revoked_by_sync_once(testapp, demo_app, app_settings,
                                                               login, emulator, tmp_path):
    """ORCID answers 503 to everything: Disconnect still removes the link and promises the
    withdrawal; ``sync --once`` with ORCID back revokes both tokens (fails on old main:
    nothing ever called retry_pending_revocations, the tokens stayed live)."""
    login("alice")
    connect_via_emulator(testapp, emulator)
    emulator.control.set_faults(1.0, ["503"])
    try:
        response = testapp.post("/orcid/disconnect",
                                {"csrf_token": csrf_token(testapp.get("/works").text)})
    finally:
        emulator.control.set_faults(0)
    assert "we will withdraw the permission on ORCID automatically" in " ".join(
        response.text.split())
    assert stored_link(demo_app, "alice") is None
    assert _pending(demo_app) == 2
    assert any(token.live() for token in _tokens(emulator))

    with app_session(demo_app) as session:
        before = session.execute(select(func.max(OrcidCall.id))).scalar_one()
    result = CliRunner().invoke(main, ["sync", site_ini(tmp_path, app_settings), "--once"])
    assert result.exit_code == 0, result.output
    assert _tokens(emulator) and all(not token.live() for token in _tokens(emulator))
    assert _pending(demo_app) == 0
    # the worker's revocations name whose grant it was in the call log (the admin page's
    # User and iD columns), as the disconnect's own attempts did
    with app_session(demo_app) as session:
        retried = session.execute(select(OrcidCall.user_id, OrcidCall.orcid).where(
            OrcidCall.id > before, OrcidCall.url.like("%/oauth/revoke"))).all()
    assert retried == [("alice", SEED_ORCID)] * 2


def test_a_token_whose_id_token_is_refused_is_revoked_at_once(testapp, demo_app, login,
                                                              emulator):
    """ORCID's id_token carries another nonce: the callback refuses it, stores nothing and
    revokes the token it was just given (fails on old main: the token stayed live)."""
    login("alice")
    auth = authorize_request(testapp.get("/orcid/connect").text)
    redirect = emulator.control.authorize(SEED_ORCID, auth.params["client_id"],
                                          auth.params["scope"], auth.params["redirect_uri"],
                                          auth.state, "a-nonce-we-never-sent")
    response = testapp.get(local_path(redirect), status="*")
    assert 400 <= response.status_int < 500
    assert stored_link(demo_app, "alice") is None
    issued = _tokens(emulator)
    assert len(issued) == 1 and not issued[0].live()


def test_a_grant_lost_to_a_failing_host_is_revoked(testapp, demo_app, login, emulator):
    """The host's own subscriber fails after the link was written: the request rolls back, so
    nothing is stored, and the token ORCID granted is revoked (fails on old main)."""
    from orcid_pyramid.compliance.fixtures.app import app_registry

    def failing_host(event):
        raise RuntimeError("the host's profile update failed")

    app_registry(demo_app).registerHandler(failing_host, (OrcidConnected,))
    login("alice")
    response = connect_via_emulator(testapp, emulator)
    assert response.status_int >= 500
    assert stored_link(demo_app, "alice") is None
    issued = _tokens(emulator)
    assert len(issued) == 1 and not issued[0].live()


def test_a_guard_left_by_a_failed_commit_is_revoked_by_the_worker(testapp, demo_app,
                                                                  app_settings, login,
                                                                  emulator, tmp_path):
    """A callback that dies between the exchange and its commit (the process killed, the
    database refusing the commit) leaves its guard row behind; once the grace period is over
    ``sync --once`` revokes the token. The crash is staged by deleting the stored link and
    putting the guard back as the failed commit would have left it; the grace period is
    skipped by moving its due time, not by waiting."""
    from datetime import UTC, datetime, timedelta

    login("alice")
    connect_via_emulator(testapp, emulator)
    link = stored_link(demo_app, "alice")
    with app_session(demo_app) as session:
        session.delete(session.get(type(link), link.id))
        session.add(OrcidPendingRevocation(
            token_enc=link.access_token_enc, orcid=None, last_error="granted; not stored yet",
            next_attempt_at=datetime.now(UTC) - timedelta(seconds=1)))
        session.commit()
    result = CliRunner().invoke(main, ["sync", site_ini(tmp_path, app_settings), "--once"])
    assert result.exit_code == 0, result.output
    assert all(not token.live() for token in _tokens(emulator))
    assert _pending(demo_app) == 0


def test_the_guard_of_a_stored_link_never_revokes_it(testapp, demo_app, app_settings, login,
                                                     emulator, tmp_path):
    """A normal connect leaves no guard; a worker run afterwards revokes nothing."""
    login("alice")
    connect_via_emulator(testapp, emulator)
    assert _pending(demo_app) == 0
    result = CliRunner().invoke(main, ["sync", site_ini(tmp_path, app_settings), "--once"])
    assert result.exit_code == 0, result.output
    assert all(token.live() for token in _tokens(emulator))
    assert stored_link(demo_app, "alice").access_token_enc
