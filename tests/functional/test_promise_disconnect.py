"""Disconnect keeps its promises: the webhook goes with the link, and no key rotation can lock
a researcher in (through the demo site, the CLI and the emulator only)."""

from __future__ import annotations

from click.testing import CliRunner
from webtest import TestApp

from orcid_pyramid.cli import main
from orcid_pyramid.compliance.fixtures.app import (
    SEED_ORCID,
    connect_via_emulator,
    csrf_token,
    login_as,
    stored_link,
)
from orcid_pyramid.crypto import generate_key

from .test_promise_revocations import site_ini

WEBHOOKS = {"orcid.features": "openid collect connect-activities webhooks",
            "orcid.webhook_secret": "a-webhook-secret-for-these-tests"}


def _tokens(emulator, orcid=SEED_ORCID):
    with emulator.state.lock:
        return [t for t in emulator.state.tokens.values() if t.orcid == orcid]


def _hooks(emulator, orcid=SEED_ORCID) -> list[str]:
    return [h["callback"] for h in emulator.control.webhooks()["webhooks"]
            if h.get("orcid") == orcid or orcid in h["callback"].replace("-", "")
            or orcid.replace("-", "") in h["callback"]]


def _web(app, user="alice"):
    web = TestApp(app, extra_environ={"HTTP_HOST": "localhost"})
    login_as(web, user)
    return web


def _disconnect(web):
    return web.post("/orcid/disconnect", {"csrf_token": csrf_token(web.get("/works").text)},
                    status="*")


def _text(response) -> str:
    return " ".join(response.text.split())


def test_disconnect_unregisters_the_webhook(demo_app_factory, emulator):
    """Connecting registers the record's webhook; disconnecting removes it at ORCID
    (fails on old main: the webhook stayed registered)."""
    app = demo_app_factory(**WEBHOOKS)
    web = _web(app)
    connect_via_emulator(web, emulator)
    assert len(_hooks(emulator)) == 1
    assert _disconnect(web).status_int == 200
    assert _hooks(emulator) == []


def test_a_webhook_removal_that_failed_is_done_by_sync_once(demo_app_factory, app_settings,
                                                            emulator, tmp_path):
    """ORCID down at disconnect time: the removal is queued and ``sync --once`` with ORCID
    back does it (fails on old main: nothing removed it)."""
    app = demo_app_factory(**WEBHOOKS)
    web = _web(app)
    connect_via_emulator(web, emulator)
    emulator.control.set_faults(1.0, ["503"])
    try:
        assert _disconnect(web).status_int == 200
    finally:
        emulator.control.set_faults(0)
    assert len(_hooks(emulator)) == 1
    ini = site_ini(tmp_path, {**app_settings, **WEBHOOKS})
    result = CliRunner().invoke(main, ["sync", ini, "--once"])
    assert result.exit_code == 0, result.output
    assert _hooks(emulator) == []
    assert all(not token.live() for token in _tokens(emulator))


def test_a_token_no_key_can_read_never_stops_a_disconnect(demo_app_factory, emulator):
    """``orcid.token_key`` replaced without keeping the old key: the stored token cannot be
    decrypted, yet Disconnect removes the link and tells the researcher to withdraw the
    permission on ORCID themselves (fails on old main: 503, the link stayed)."""
    connect_via_emulator(_web(demo_app_factory()), emulator)
    replaced = demo_app_factory(**{"orcid.token_key": generate_key()})
    web = _web(replaced)
    response = _disconnect(web)
    assert response.status_int == 200, response.status
    assert "from the trusted organizations in your ORCID account settings" in _text(response)
    assert stored_link(replaced, "alice") is None
    # and connecting again works
    assert connect_via_emulator(web, emulator).status_int == 302
    assert stored_link(replaced, "alice") is not None


def test_reconnecting_over_an_unreadable_token_works(demo_app_factory, emulator):
    """The same lockout on the Connect side: a new grant replaces a link whose old token no
    key reads (fails on old main: 503)."""
    connect_via_emulator(_web(demo_app_factory()), emulator)
    replaced = demo_app_factory(**{"orcid.token_key": generate_key()})
    web = _web(replaced)
    from sqlalchemy import update

    from orcid_pyramid.compliance.fixtures.app import app_session
    from orcid_pyramid.models import OrcidLink

    with app_session(replaced) as session:  # a narrower grant: Connect asks again
        session.execute(update(OrcidLink).values(scope="/authenticate"))
        session.commit()
    assert connect_via_emulator(web, emulator).status_int == 302
    link = stored_link(replaced, "alice")
    assert link is not None and "/activities/update" in link.scope


def test_rotation_in_the_documented_order_never_locks_anyone_out(demo_app_factory,
                                                                 app_settings, emulator,
                                                                 tmp_path):
    """Old key OLD; step 1 every process runs ``OLD,NEW``, step 2 ``NEW,OLD``, step 3
    ``rekey``, step 4 ``NEW`` alone. A token written by a process of one step is read by a
    process of the step before or after it, so a rolling restart locks no one out."""
    old, new = app_settings["orcid.token_key"], generate_key()
    step0 = demo_app_factory()
    connect_via_emulator(_web(step0, "alice"), emulator)
    step1 = demo_app_factory(**{"orcid.token_key": f"{old},{new}"})
    step2 = demo_app_factory(**{"orcid.token_key": f"{new},{old}"})
    bob = emulator.control.add_user("Bob", "Rotation", "bob-rotation@example.org", "pw-123456")
    connect_via_emulator(_web(step2, "bob"), emulator, bob)  # written under NEW
    assert _disconnect(_web(step1, "bob")).status_int == 200  # read by a step-1 process
    assert all(not token.live() for token in _tokens(emulator, bob))
    assert "did not answer" not in _text(_disconnect(_web(step0, "bob")))
    ini = site_ini(tmp_path, {**app_settings, "orcid.token_key": f"{new},{old}"})
    result = CliRunner().invoke(main, ["rekey", ini])
    assert result.exit_code == 0, result.output
    step4 = demo_app_factory(**{"orcid.token_key": new})
    response = _disconnect(_web(step4, "alice"))
    assert response.status_int == 200 and "trusted organizations" not in _text(response)
    assert all(not token.live() for token in _tokens(emulator))
