"""The OAuth callback: what is stored (DM-4, CC-AUTH), where the code is exchanged (DM-3),
declines and profiles with missing data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from orcid_pyramid.compliance.fixtures.app import (
    SEED_ORCID,
    app_registry,
    approve,
    authorize_request,
    connect_via_emulator,
    local_path,
    stored_link,
)
from orcid_pyramid.events import OrcidConnected


def _emulator_token(emulator, orcid):
    with emulator.state.lock:
        tokens = [t for t in emulator.state.tokens.values() if t.orcid == orcid]
    return max(tokens, key=lambda t: t.issued_at)


def test_callback_stores_every_token_field_encrypted(testapp, demo_app, login, emulator):
    """DM-4, CC-AUTH: iD, name, access and refresh token (encrypted), token type, scope,
    expiry (from expires_in) and the verified id_token claims (with our nonce)."""
    login("alice")
    page = testapp.get("/orcid/connect")
    auth = authorize_request(page.text)
    response = testapp.get(local_path(approve(emulator, auth)))
    assert response.status_int == 302 and response.location.endswith("/orcid/")
    link = stored_link(demo_app, "alice")
    issued = _emulator_token(emulator, SEED_ORCID)
    cipher = app_registry(demo_app)["orcid.cipher"]
    assert link.orcid == SEED_ORCID
    assert link.name == "Josiah Carberry"
    assert issued.access_token not in link.access_token_enc
    assert cipher.decrypt(link.access_token_enc) == issued.access_token
    assert cipher.decrypt(link.refresh_token_enc) == issued.refresh_token
    assert link.token_type == "bearer"
    assert set(link.scope.split()) == {"openid", "/read-limited", "/activities/update"}
    expected = datetime.now(UTC) + timedelta(seconds=631138518)
    assert abs((link.expires_at - expected).total_seconds()) < 120
    assert link.id_token_claims["sub"] == SEED_ORCID
    assert link.id_token_claims["nonce"] == auth.params["nonce"]
    assert link.status == "active"
    assert "Your ORCID iD is connected." in response.follow().text


def test_code_is_exchanged_at_the_root_token_url(testapp, login, emulator):
    """DM-3: the token request goes to {base_url}/oauth/token on the registry host."""
    login("alice")
    before = len(emulator.control.calls())
    connect_via_emulator(testapp, emulator)
    token_calls = [c for c in emulator.control.calls()[before:] if c["path"].endswith("/token")]
    assert len(token_calls) == 1
    assert token_calls[0]["path"] == "/oauth/token"
    assert token_calls[0]["host"] == "root"
    assert token_calls[0]["method"] == "POST" and token_calls[0]["status"] == 200


def test_connected_event_is_notified(testapp, demo_app, login, emulator):
    """The host learns about the new link through OrcidConnected (no token in it)."""
    seen = []
    app_registry(demo_app).registerHandler(seen.append, (OrcidConnected,))
    login("alice")
    connect_via_emulator(testapp, emulator)
    assert [(e.user_id, e.orcid) for e in seen] == [("alice", SEED_ORCID)]
    assert "openid" in seen[0].scope


def test_declining_on_orcid_shows_a_clear_page_and_stores_nothing(testapp, demo_app, login,
                                                                  emulator):
    """DM-8: error=access_denied -> "you chose not to connect", a button to try again and the
    support contact; no link row."""
    login("alice")
    auth = authorize_request(testapp.get("/orcid/connect").text)
    response = testapp.get("/orcid/callback", {"error": "access_denied",
                                               "error_description": "User denied access",
                                               "state": auth.state}, status=403)
    assert "You chose not to connect your ORCID iD" in response.text
    assert 'href="http://localhost/orcid/connect"' in response.text
    assert "support@example.org" in response.text
    assert "https://support.example.org/orcid" in response.text
    assert stored_link(demo_app, "alice") is None


def test_profile_without_family_name_connects(testapp, demo_app, login, emulator):
    """A record with no family name (carol) connects; the name is stored as ORCID gave it."""
    orcid = emulator.control.add_user("Carol", None, "carol@example.org", "pw-carol-123")
    login("carol")
    response = connect_via_emulator(testapp, emulator, orcid)
    assert response.status_int == 302
    link = stored_link(demo_app, "carol")
    assert link.orcid == orcid
    assert link.name == "Carol"
    assert "Carol" in response.follow().text


def test_profile_with_private_name_connects(testapp, demo_app, login, emulator):
    """A private name (token answer name null) still connects; the panel says it is private."""
    orcid = emulator.control.add_user("Hidden", "Person", "hidden@example.org", "pw-hidden-1")
    with emulator.state.lock:
        emulator.state.record(orcid).name_visibility = "private"
    login("bob")
    response = connect_via_emulator(testapp, emulator, orcid)
    assert response.status_int == 302
    link = stored_link(demo_app, "bob")
    assert link.orcid == orcid and link.name is None
    assert "Not public on your ORCID record" in response.follow().text


def test_id_linked_to_another_user_is_refused_without_overwriting(testapp, demo_app, login,
                                                                  emulator):
    """One iD, one local account: bob cannot take alice's iD; alice's row is untouched."""
    login("alice")
    connect_via_emulator(testapp, emulator)
    alice_before = stored_link(demo_app, "alice")
    login("bob")
    response = connect_via_emulator(testapp, emulator)
    assert response.status_int == 409
    assert "already connected to another account" in response.text
    assert "support@example.org" in response.text
    assert stored_link(demo_app, "bob") is None
    alice_after = stored_link(demo_app, "alice")
    assert alice_after.access_token_enc == alice_before.access_token_enc
    assert alice_after.user_id == "alice"
    # the token issued for bob's attempt is not left behind at ORCID
    bob_token = _emulator_token(emulator, SEED_ORCID)
    assert bob_token.revoked


def test_reconnecting_replaces_the_grant_and_revokes_the_old_token(testapp, demo_app, login,
                                                                   emulator):
    """A second connect (e.g. after a revoke) updates the same row; the old token is revoked."""
    from sqlalchemy import update

    from orcid_pyramid.compliance.fixtures.app import app_session
    from orcid_pyramid.models import OrcidLink

    login("alice")
    connect_via_emulator(testapp, emulator)
    first = _emulator_token(emulator, SEED_ORCID)
    with app_session(demo_app) as session:  # make the link look expired so connect proceeds
        session.execute(update(OrcidLink).values(
            expires_at=datetime.now(UTC) - timedelta(seconds=5)))
        session.commit()
    connect_via_emulator(testapp, emulator)
    second = _emulator_token(emulator, SEED_ORCID)
    assert second.access_token != first.access_token
    assert first.revoked and not second.revoked
    cipher = app_registry(demo_app)["orcid.cipher"]
    assert cipher.decrypt(stored_link(demo_app, "alice").access_token_enc) == second.access_token


def _database_bytes(demo_app) -> bytes:
    """The app's SQLite file(s) byte for byte (WAL and journal included)."""
    from pathlib import Path

    engine = app_registry(demo_app)["orcid.dbengine"]
    path = Path(engine.url.database)
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_the_raw_id_token_is_stored_encrypted(testapp, demo_app, login, emulator):
    """DM-4 "id_token when openid": the id_token ORCID returned is kept, encrypted with the
    token key; it is ORCID's signed token for this very request (our nonce) and its text is
    nowhere in the database file."""
    login("alice")
    auth = authorize_request(testapp.get("/orcid/connect").text)
    testapp.get(local_path(approve(emulator, auth)), status=302)
    link = stored_link(demo_app, "alice")
    registry = app_registry(demo_app)
    assert link.id_token_enc, "no id_token stored"
    raw = registry["orcid.cipher"].decrypt(link.id_token_enc)
    claims = registry["orcid.client"].verify_id_token(raw, nonce=auth.params["nonce"])
    assert claims["sub"] == SEED_ORCID
    assert raw.count(".") == 2 and raw not in link.id_token_enc
    if app_registry(demo_app)["orcid.dbengine"].url.get_backend_name() != "sqlite":
        return  # the file scan is SQLite's; test_security_secrets scans PostgreSQL's rows
    stored = _database_bytes(demo_app)
    signature = raw.rsplit(".", 1)[1]
    assert raw.encode() not in stored and signature.encode() not in stored
    assert link.id_token_enc.encode() in stored  # the scan does read the row


def test_without_openid_no_id_token_is_kept(demo_app_factory, emulator):
    """A connection without openid has no id_token: the column stays empty (and a reconnect
    without openid clears an older one)."""
    from webtest import TestApp

    from orcid_pyramid.compliance.fixtures.app import login_as

    app = demo_app_factory(**{"orcid.features": "collect connect-activities"})
    client = TestApp(app, extra_environ={"HTTP_HOST": "localhost"})
    login_as(client, "alice")
    connect_via_emulator(client, emulator)
    link = stored_link(app, "alice")
    assert link.orcid == SEED_ORCID and "openid" not in link.scope.split()
    assert link.id_token_enc is None and link.id_token_claims is None
