"""Failure paths (DM-8): a clear page, the support contact, a 4xx/502/503 status, nothing
stored, and the ORCID call still in the log."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from orcid_pyramid.compliance.fixtures.app import (
    app_session,
    approve,
    authorize_request,
    connect_via_emulator,
    local_path,
    login_as,
    stored_link,
)
from orcid_pyramid.models import OrcidCall

SUPPORT = "support@example.org"


def _callback_with(testapp, emulator, faults=None, **fault_options):
    auth = authorize_request(testapp.get("/orcid/connect").text)
    redirect = approve(emulator, auth)
    if faults:
        emulator.control.set_faults(1.0, faults, **fault_options)
    try:
        return testapp.get(local_path(redirect), status="*")
    finally:
        emulator.control.set_faults(0)


@pytest.mark.parametrize(("fault", "status", "words"), [
    ("503", 503, "ORCID is busy right now"),
    ("500", 503, "ORCID is having problems right now"),
    ("reset", 503, "We could not reach ORCID just now"),
    ("malformed", 502, "ORCID sent an answer we could not read"),
])
def test_orcid_down_at_the_token_exchange(testapp, demo_app, login, emulator, fault, status,
                                          words):
    """DM-8: ORCID failing during the exchange -> clear page with support contact; no link;
    the failed call is still in the call log although the request's transaction rolled back."""
    login("alice")
    response = _callback_with(testapp, emulator, [fault])
    assert response.status_int == status
    assert words in response.text
    assert SUPPORT in response.text and "Traceback" not in response.text
    assert stored_link(demo_app, "alice") is None
    with app_session(demo_app) as session:
        calls = session.execute(select(OrcidCall).where(OrcidCall.url.like("%/oauth/token"))
                                ).scalars().all()
    assert len(calls) == 1 and calls[0].user_id == "alice"


def test_orcid_too_slow_at_the_token_exchange(demo_app_factory, emulator):
    """DM-8: ORCID slower than orcid.timeout -> "took too long" page, 503."""
    from webtest import TestApp

    app = TestApp(demo_app_factory(**{"orcid.timeout": "0.5"}),
                  extra_environ={"HTTP_HOST": "localhost"})
    login_as(app, "alice")
    response = _callback_with(app, emulator, ["timeout"], timeout_s=1.5)
    assert response.status_int == 503
    assert "ORCID took too long to answer" in response.text
    assert SUPPORT in response.text


def test_wrong_client_secret_is_a_site_problem_not_the_users(demo_app_factory, emulator):
    """DM-8: invalid_client -> 502 page saying the site is misconfigured."""
    from webtest import TestApp

    app = TestApp(demo_app_factory(**{"orcid.client_secret": "wrong-secret"}),
                  extra_environ={"HTTP_HOST": "localhost"})
    login_as(app, "alice")
    response = _callback_with(app, emulator)
    assert response.status_int == 502
    assert "not set up correctly" in response.text
    assert SUPPORT in response.text


def test_revoked_on_orcid_is_shown_and_connect_is_offered_again(testapp, demo_app, login,
                                                                emulator):
    """DM-8 (revoked token): after the researcher revokes access on ORCID, the next write
    fails with 401, the link is marked revoked, the panel says so, and connecting works."""
    from orcid_pyramid.compliance.fixtures.app import SEED_ORCID, app_registry, csrf_token
    from orcid_pyramid.sync.worker import Worker

    login("alice")
    connect_via_emulator(testapp, emulator)
    emulator.control.revoke(SEED_ORCID, "APP-DEMOCLIENT000001")
    testapp.post("/works/push", {"csrf_token": csrf_token(testapp.get("/works").text)})
    registry = app_registry(demo_app)
    Worker(registry["orcid.dbengine"], registry["orcid.settings"]).run_once()
    panel = testapp.get("/orcid/")
    assert "no longer works" in panel.text
    alert = panel.text.split('role="alert"')[1].split("</div>")[0]
    assert SUPPORT in alert and "/orcid/connect" in alert
    assert stored_link(demo_app, "alice").status == "revoked"
    assert testapp.get("/orcid/connect").status_int == 200  # not "already connected"
    assert connect_via_emulator(testapp, emulator).status_int == 302
    assert stored_link(demo_app, "alice").status == "active"


def _app_with_failing_view(emulator, db_url, exc):
    from pyramid.config import Configurator
    from pyramid.session import SignedCookieSessionFactory
    from webtest import TestApp

    from orcid_pyramid.compliance.fixtures.app import make_app_settings
    from orcid_pyramid.demo.users import DemoSecurityPolicy

    def boom(request):
        raise exc

    config = Configurator(settings=make_app_settings(emulator, db_url))
    config.set_session_factory(SignedCookieSessionFactory("s" * 32))
    config.set_security_policy(DemoSecurityPolicy())
    config.include("orcid_pyramid")
    config.include("orcid_pyramid.demo.views")
    # a host view on the add-on's route: what it raises meets the add-on's error handling
    config.add_view(boom, route_name="orcid.panel", request_param="boom")
    config.add_route("host.boom", "/host/boom")
    config.add_view(boom, route_name="host.boom")
    return TestApp(config.make_wsgi_app(), extra_environ={"HTTP_HOST": "localhost"})


def test_validation_error_from_orcid_renders_the_error_page(emulator, app_db_url):
    """DM-8 (validation error): an OrcidBadRequest under the add-on's routes -> 400 page with
    ORCID's user message and the support contact."""
    from orcid_pyramid.client.errors import OrcidBadRequest

    app = _app_with_failing_view(emulator, app_db_url, OrcidBadRequest(
        "invalid", status=400, error_code=9020, user_message="The title is missing."))
    login_as(app, "alice")
    response = app.get("/orcid/?boom=1", status=400)
    assert "ORCID did not accept the data we sent: The title is missing." in response.text
    assert SUPPORT in response.text


def test_orcid_errors_outside_the_add_on_routes_are_left_to_the_host(emulator, app_db_url):
    """The exception view is scoped to the add-on's routes: a host route keeps its own."""
    from orcid_pyramid.client.errors import OrcidServerError

    app = _app_with_failing_view(emulator, app_db_url, OrcidServerError("down", status=503))
    login_as(app, "alice")
    with pytest.raises(OrcidServerError):
        app.get("/host/boom")
    # the add-on's own route renders the support page for the same error
    response = app.get("/orcid/?boom=1", status=503)
    assert SUPPORT in response.text


def test_unexpected_failure_shows_the_support_page_not_a_traceback(testapp, demo_app, login,
                                                                   emulator):
    """DM-8: even a failure nobody planned for (here the add-on's table is missing) gives the
    support page with a reference, status 503, and no traceback."""
    from orcid_pyramid.compliance.fixtures.app import app_registry
    from orcid_pyramid.models import Base, OrcidLink

    login("alice")
    engine = app_registry(demo_app)["orcid.dbengine"]
    OrcidLink.__table__.drop(engine)
    try:
        response = testapp.get("/orcid/", status=503)
    finally:
        Base.metadata.create_all(engine)
    assert "This page is not available right now" in response.text
    assert SUPPORT in response.text and "Please quote reference" in response.text
    assert "Traceback" not in response.text and "orcid_links" not in response.text
