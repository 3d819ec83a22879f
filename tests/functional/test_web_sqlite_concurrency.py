"""A request that reads, lets another connection commit (the call-log sink, the worker, another
request — typically while the view waits for ORCID), then writes: the write succeeds and
both commits are kept. On SQLite this used to fail with "database is locked"."""

from __future__ import annotations

from pyramid.config import Configurator
from pyramid.session import SignedCookieSessionFactory
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from webtest import TestApp

from orcid_pyramid.compliance.fixtures.app import login_as, make_app_settings
from orcid_pyramid.demo.users import DemoSecurityPolicy
from orcid_pyramid.models import OrcidCall, OrcidLink, OrcidPendingRevocation, utcnow


def read_then_write_view(request):
    """Read, another connection commits, write (in the request's pyramid_tm transaction)."""
    engine = request.registry["orcid.dbengine"]
    links = request.orcid_db.execute(select(func.count()).select_from(OrcidLink)).scalar_one()
    with Session(engine) as other:  # what DbCallSink.write or the worker does meanwhile
        other.add(OrcidCall(at=utcnow(), kind="api", method="GET", url="http://x/record",
                            status=200))
        other.commit()
    request.orcid_db.add(OrcidPendingRevocation(token_enc="not-a-real-token",
                                                last_error=f"after reading {links} links"))
    request.orcid_db.flush()
    return {"ok": True}


def test_a_write_after_another_connections_commit_mid_request_succeeds(emulator, app_db_url):
    config = Configurator(settings=make_app_settings(emulator, app_db_url))
    config.set_session_factory(SignedCookieSessionFactory("x" * 32))
    config.set_security_policy(DemoSecurityPolicy())
    config.include("orcid_pyramid")
    config.include("orcid_pyramid.demo.views")
    config.add_route("read-then-write", "/read-then-write")
    config.add_view(read_then_write_view, route_name="read-then-write", renderer="json")
    engine = config.registry["orcid.dbengine"]
    app = TestApp(config.make_wsgi_app(), extra_environ={"HTTP_HOST": "localhost"})
    try:
        login_as(app, "alice")
        assert app.get("/read-then-write").json == {"ok": True}
        with Session(engine) as session:
            assert session.execute(select(OrcidCall.url)).scalars().all() == ["http://x/record"]
            assert session.execute(select(OrcidPendingRevocation.last_error)
                                   ).scalars().all() == ["after reading 0 links"]
    finally:
        engine.dispose()
